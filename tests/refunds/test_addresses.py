"""Refund address checks: EIP-55 for BNB Chain (unchecksummed forms refused), a wallet's own
on-curve key for Solana (token accounts and program addresses refused)."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from gateway.refunds.addresses import check_address
from gateway.refunds.errors import InvalidRefundAddress

# EIP-55's own test vector.
CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")


def test_bsc_needs_the_checksummed_form() -> None:
    assert check_address("bsc", CHECKSUMMED) == CHECKSUMMED
    for bad in (CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper(),
                CHECKSUMMED.replace("a", "A", 1), CHECKSUMMED[:-1], "5aAeb6053F3E94C9b9A09f33669"
                "435E7Ef1BeAed00", "0xZZAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"):
        with pytest.raises(InvalidRefundAddress) as refused:
            check_address("bsc", bad)
        assert refused.value.param == "address"
    with pytest.raises(InvalidRefundAddress, match=CHECKSUMMED):
        check_address("bsc", CHECKSUMMED.lower())  # the message names the checksummed form


def test_solana_needs_an_on_curve_key() -> None:
    wallet = str(Keypair().pubkey())
    assert check_address("solana", wallet) == wallet
    owner = Keypair().pubkey()
    token_account, _ = Pubkey.find_program_address([bytes(owner)], TOKEN_PROGRAM)
    for bad in (str(token_account), CHECKSUMMED, wallet + "1", "0OIl" * 10, ""):
        with pytest.raises(InvalidRefundAddress):
            check_address("solana", bad)
    with pytest.raises(InvalidRefundAddress):
        check_address("tron", wallet)
