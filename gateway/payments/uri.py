"""Payment request URIs: EIP-681 (BNB Chain) and Solana Pay transfer requests.

Builders refuse bad input instead of emitting a URI a wallet could misread; parsers are strict
(the shopper simulator and tests read our own URIs back with them). Integers are written in
plain digits: several wallets misparse EIP-681's scientific notation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import quote, unquote_plus

from gateway.payments.amounts import check_amount, format_units
from gateway.payments.eip55 import checksum_hex
from gateway.payments.errors import PaymentUriError
from gateway.payments.references import check_pubkey
from settlement.assets import ASSETS

BSC_CHAIN_ID = 56
SOL_DECIMALS = ASSETS["SOL"].decimals
MAX_UINT256 = 2**256 - 1
_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_EIP681 = re.compile(
    r"ethereum:(?:pay-)?(?P<target>0x[0-9a-fA-F]{40})"
    r"(?:@(?P<chain>[0-9]+))?(?:/(?P<function>[A-Za-z_][A-Za-z0-9_]*))?(?:\?(?P<query>.*))?",
    re.DOTALL,
)
# EIP-681 number: [sign] digits [. digits] [e digits]; only non-negative integers are amounts.
_EIP681_NUMBER = re.compile(r"\+?[0-9]*(\.[0-9]+)?([eE][0-9]+)?")
_GAS_KEYS = frozenset({"gas", "gasLimit", "gasPrice"})
_SOLANA_SINGLE = ("amount", "spl-token", "label", "message", "memo")


@dataclass(frozen=True)
class Eip681Request:
    """A parsed EIP-681 payment: native (`function` None) or an ERC-20/BEP-20 `transfer`."""

    target: str
    chain_id: int | None
    function: str | None
    to: str
    amount: int | None


@dataclass(frozen=True)
class SolanaPayRequest:
    """A parsed Solana Pay transfer request (SPEC.md)."""

    recipient: str
    amount: Decimal | None
    spl_token: str | None
    references: list[str] = field(default_factory=list)
    label: str | None = None
    message: str | None = None
    memo: str | None = None


# Cached: token contracts and the URIs parsed back by the simulator repeat the same few
# addresses; a failed check raises and so is never cached.
@lru_cache(maxsize=4096)
def checksum_address(value: str, field_name: str = "address") -> str:
    """EIP-55 form of a 0x address; a mixed-case address must carry a valid checksum."""
    if not _HEX_ADDRESS.fullmatch(value):
        raise PaymentUriError(f"{field_name} {value!r} is not a 0x-prefixed 20-byte hex address")
    body = value[2:]
    checksummed = checksum_hex(body.lower())
    if body != body.lower() and body != body.upper() and value != checksummed:
        raise PaymentUriError(f"{field_name} {value!r} has a bad EIP-55 checksum")
    return checksummed


def _uint(value: int, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_UINT256:
        raise PaymentUriError(f"{name} must be an int in 0..2^256-1, got {value!r}")
    return str(value)


def _chain(chain_id: int) -> str:
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise PaymentUriError(f"chain id must be a positive int, got {chain_id!r}")
    return str(chain_id)


def eip681_native(address: str, wei: int, chain_id: int = BSC_CHAIN_ID) -> str:
    """`ethereum:<addr>@<chain>?value=<wei>` for a native BNB payment."""
    target = checksum_address(address)
    return f"ethereum:{target}@{_chain(chain_id)}?value={_uint(wei, 'wei')}"


def eip681_token(token: str, to: str, units: int, chain_id: int = BSC_CHAIN_ID) -> str:
    """`ethereum:<token>@<chain>/transfer?address=<to>&uint256=<units>` for a BEP-20 payment."""
    contract = checksum_address(token, "token")
    recipient = checksum_address(to, "recipient")
    return (
        f"ethereum:{contract}@{_chain(chain_id)}/transfer"
        f"?address={recipient}&uint256={_uint(units, 'units')}"
    )


class Eip681Template:
    """One asset's EIP-681 URIs with the fixed part (token contract, chain id) checked once.

    Per invoice only the deposit address and the amount change. `uri()` trusts the address to
    be EIP-55 already (hd.derive_address returns it so) instead of re-hashing it on every
    invoice; its output equals `eip681_native` / `eip681_token` (tests/payments/test_uri.py).
    """

    __slots__ = ("_infix", "_prefix")

    def __init__(self, token: str | None, chain_id: int = BSC_CHAIN_ID) -> None:
        chain = _chain(chain_id)
        if token is None:
            self._prefix, self._infix = "ethereum:", f"@{chain}?value="
        else:
            contract = checksum_address(token, "token")
            self._prefix = f"ethereum:{contract}@{chain}/transfer?address="
            self._infix = "&uint256="

    def uri(self, address: str, units: int) -> str:
        return f"{self._prefix}{address}{self._infix}{_uint(units, 'units')}"


def _query_pairs(query: str | None) -> list[tuple[str, str]]:
    if not query:
        return []
    pairs = []
    for part in query.split("&"):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise PaymentUriError(f"query parameter {part!r} is not key=value")
        pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _single(pairs: list[tuple[str, str]]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for key, value in pairs:
        if key in seen:
            raise PaymentUriError(f"parameter {key!r} appears more than once")
        seen[key] = value
    return seen


def _eip681_amount(text: str, name: str) -> int:
    if not text or not _EIP681_NUMBER.fullmatch(text) or text.strip("+") == "":
        raise PaymentUriError(f"{name} {text!r} is not an EIP-681 number")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise PaymentUriError(f"{name} {text!r} is not an EIP-681 number") from exc
    # Range first: int() of "1e999999999" would build a billion-digit number.
    if not 0 <= value <= MAX_UINT256:
        raise PaymentUriError(f"{name} {text!r} is outside 0..2^256-1")
    if value != value.to_integral_value():
        raise PaymentUriError(f"{name} {text!r} is not a whole number of base units")
    return int(value)


def _check_keys(params: dict[str, str], allowed: set[str]) -> None:
    unknown = set(params) - allowed - _GAS_KEYS
    if unknown:
        raise PaymentUriError(f"unsupported parameter(s): {', '.join(sorted(unknown))}")


def parse_eip681(uri: str) -> Eip681Request:
    """Parse a native-value or `transfer` EIP-681 URI; anything else raises PaymentUriError."""
    match = _EIP681.fullmatch(uri.strip())
    if not match:
        raise PaymentUriError(f"not an EIP-681 payment URI with a hex address: {uri[:120]!r}")
    target = checksum_address(match["target"], "target")
    chain_id = int(match["chain"]) if match["chain"] else None
    if chain_id == 0:
        raise PaymentUriError("chain id must be positive")
    params = _single(_query_pairs(match["query"]))
    function = match["function"]
    if function is None:
        _check_keys(params, {"value"})
        amount = _eip681_amount(params["value"], "value") if "value" in params else None
        return Eip681Request(target, chain_id, None, target, amount)
    if function != "transfer":
        raise PaymentUriError(f"unsupported EIP-681 function {function!r}")
    _check_keys(params, {"address", "uint256"})
    if "address" not in params:
        raise PaymentUriError("transfer URI lacks the recipient 'address' parameter")
    to = checksum_address(params["address"], "address")
    amount = _eip681_amount(params["uint256"], "uint256") if "uint256" in params else None
    return Eip681Request(target, chain_id, "transfer", to, amount)


# Cached: the label is the merchant's name, the same on every invoice of that merchant.
@lru_cache(maxsize=1024)
def _text(value: str, name: str) -> str:
    # encodeURIComponent-style: spaces as %20, UTF-8 percent-encoded (SPEC.md "URL-encoded").
    if not value:
        raise PaymentUriError(f"{name} must not be empty when given")
    return quote(value, safe="-_.!~*'()")


def solana_pay(
    recipient: str,
    amount: str,
    *,
    spl_token: str | None,
    reference: str,
    label: str | None,
    message: str | None,
    memo: str | None = None,
) -> str:
    """A Solana Pay transfer request URI (field order as in SPEC.md)."""
    check_pubkey(recipient, "recipient")
    check_amount(amount)
    _check_sol_decimals(amount, spl_token)
    parts = [f"amount={amount}"]
    if spl_token is not None:
        parts.append(f"spl-token={check_pubkey(spl_token, 'spl-token')}")
    parts.append(f"reference={check_pubkey(reference, 'reference')}")
    return f"solana:{recipient}?{'&'.join(parts)}{solana_pay_tail(label, message, memo)}"


def solana_pay_tail(label: str | None, message: str | None, memo: str | None = None) -> str:
    """The `&label=..&message=..&memo=..` end of a transfer request, URL-encoded (or "")."""
    return "".join(f"&{name}={_text(value, name)}"
                   for name, value in (("label", label), ("message", message), ("memo", memo))
                   if value is not None)


class SolanaPayTemplate:
    """One asset's Solana Pay transfer requests with recipient and mint checked once.

    Per invoice only the amount, the reference (a fresh `new_reference()`, canonical by
    construction) and the label/message tail change; the output equals `solana_pay`.
    """

    __slots__ = ("_decimals", "_head", "_mint")

    def __init__(self, recipient: str, spl_token: str | None, decimals: int) -> None:
        check_pubkey(recipient, "recipient")
        if spl_token is None and decimals != SOL_DECIMALS:
            raise PaymentUriError(f"native SOL has {SOL_DECIMALS} decimals, not {decimals}")
        self._head = f"solana:{recipient}?amount="
        self._mint = "" if spl_token is None else \
            f"&spl-token={check_pubkey(spl_token, 'spl-token')}"
        self._decimals = decimals

    def uri(self, units: int, reference: str, tail: str) -> str:
        amount = format_units(units, self._decimals)
        return f"{self._head}{amount}{self._mint}&reference={reference}{tail}"


def _check_sol_decimals(text: str, spl_token: str | None) -> None:
    # SPEC.md: more decimals than SOL has (9) is malformed; a mint's decimals are the caller's.
    if spl_token is None and "." in text and len(text.partition(".")[2]) > SOL_DECIMALS:
        raise PaymentUriError(f"SOL amount {text!r} has more than {SOL_DECIMALS} decimal places")


def _split_solana(uri: str) -> tuple[str, str | None]:
    if not uri.startswith("solana:"):
        raise PaymentUriError(f"not a solana: URI: {uri[:120]!r}")
    rest = uri[len("solana:"):]
    recipient, sep, query = rest.partition("?")
    if recipient.startswith(("https:", "https%3A", "https%3a")):
        raise PaymentUriError("Solana Pay transaction requests (https links) are not supported")
    return recipient, (query if sep else None)


def parse_solana_pay(uri: str) -> SolanaPayRequest:
    """Parse a Solana Pay transfer request strictly; raise PaymentUriError when malformed."""
    recipient, query = _split_solana(uri.strip())
    check_pubkey(recipient, "recipient")
    pairs = _query_pairs(query)
    references = [check_pubkey(v, "reference") for k, v in pairs if k == "reference"]
    single = _single([(k, v) for k, v in pairs if k != "reference"])
    unknown = set(single) - set(_SOLANA_SINGLE)
    if unknown:
        raise PaymentUriError(f"unsupported parameter(s): {', '.join(sorted(unknown))}")
    spl_token = single.get("spl-token")
    if spl_token is not None:
        check_pubkey(spl_token, "spl-token")
    amount = check_amount(single["amount"]) if "amount" in single else None
    if amount is not None:
        _check_sol_decimals(single["amount"], spl_token)
    return SolanaPayRequest(
        recipient=recipient,
        amount=amount,
        spl_token=spl_token,
        references=references,
        label=single.get("label"),
        message=single.get("message"),
        memo=single.get("memo"),
    )
