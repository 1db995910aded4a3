"""Offline signatures are checked without a chain: exactly the built transaction, signed by
the expected key, or refused with `signature_refused`."""

from __future__ import annotations

import pytest
from eth_account import Account
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.system_program import TransferParams, transfer

from gateway.refunds.sending import bsc, solana
from gateway.refunds.sending.errors import SignatureRefused

FIELDS = {"nonce": 7, "gasPrice": 3_000_000_000, "gas": 21_000,
          "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "value": 10**15, "data": b"",
          "chainId": 56}


def test_bsc_accepts_only_the_built_transaction_signed_by_the_wallet() -> None:
    wallet = Account.create()
    unsigned = bsc.encode_unsigned(FIELDS)
    assert bsc.decode_unsigned(unsigned) == FIELDS
    signed = bsc.sign_unsigned(unsigned, wallet.key)
    assert bsc.verify_signed(unsigned, signed, wallet.address) == bsc.tx_hash_of(signed)
    with pytest.raises(SignatureRefused, match="not by the refund wallet"):
        bsc.verify_signed(unsigned, bsc.sign_unsigned(unsigned, Account.create().key),
                          wallet.address)
    other = bsc.encode_unsigned({**FIELDS, "value": 10**15 + 1})
    with pytest.raises(SignatureRefused, match="differs"):
        bsc.verify_signed(unsigned, bsc.sign_unsigned(other, wallet.key), wallet.address)
    wrong_chain = bsc.encode_unsigned({**FIELDS, "chainId": 97})
    with pytest.raises(SignatureRefused, match="chain id 56"):
        bsc.verify_signed(unsigned, bsc.sign_unsigned(wrong_chain, wallet.key),
                          wallet.address)
    with pytest.raises(SignatureRefused):
        bsc.verify_signed(unsigned, b"\x02garbage", wallet.address)


def test_bep20_transfer_data_is_the_standard_call() -> None:
    data = bsc.transfer_data("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 5)
    assert data.hex() == ("a9059cbb" + "70997970c51812dc3a010c7d01b50e0d17dc79c8".rjust(64, "0")
                          + "5".rjust(64, "0"))


def test_solana_accepts_only_the_built_message_signed_by_the_wallet() -> None:
    wallet, recipient = Keypair(), Keypair().pubkey()

    def message(lamports: int) -> bytes:
        ix = transfer(TransferParams(from_pubkey=wallet.pubkey(), to_pubkey=recipient,
                                     lamports=lamports))
        return bytes(Message.new_with_blockhash([ix], wallet.pubkey(), Hash.default()))

    unsigned = message(1_000_000)
    signed = solana.sign_message(unsigned, wallet)
    assert solana.verify_signed(unsigned, signed, str(wallet.pubkey())) == \
        solana.signature_of(signed)
    with pytest.raises(SignatureRefused, match="differs"):
        solana.verify_signed(unsigned, solana.sign_message(message(1_000_001), wallet),
                             str(wallet.pubkey()))
    with pytest.raises(SignatureRefused, match="signed by the refund wallet"):
        solana.verify_signed(unsigned, signed, str(Keypair().pubkey()))
    forged = bytearray(signed)
    forged[1] ^= 0xFF  # inside the signature
    with pytest.raises(SignatureRefused, match="does not verify"):
        solana.verify_signed(unsigned, bytes(forged), str(wallet.pubkey()))
