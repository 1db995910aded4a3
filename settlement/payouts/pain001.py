"""ISO 20022 `pain.001.001.09` customer credit transfer initiation files for KZT payouts.

One file holds one payment information block (the operator's account is the debtor) and one
credit transfer per settlement batch (EndToEndId = batch id). Kazakh specifics:
- the creditor's BIN goes in `Cdtr/Id/OrgId/Othr` with scheme code `TXID` and issuer `KZ` (the
  BIN is the Kazakh taxpayer number), the debtor's likewise;
- the payment purpose code KNP (3 digits) and beneficiary code KBe (2 digits) travel in the
  unstructured remittance line `/KNP/<knp>/KBE/<kbe>/<text>`, which Kazakh banks parse from
  `RmtInf/Ustrd` (pain.001.001.09 has no dedicated field for them).
Every party is validated (KZ IBAN, IIN/BIN, BIC, name) before anything is built, and the built
document is validated against the XSD shipped next to this module before it is returned or
written, so a broken file never reaches disk.

Names are `Max140Text`: 1-140 characters, and only characters an XML document can carry. We
accept printable text only (no Unicode "C" categories: controls, format characters such as
bidi overrides, surrogates, private use, unassigned), whitespace runs counted as one space.
`check_party_name` is that rule (merchant creation and update use it); a payee name stored
before the rule existed is fitted at export (`fit_party_name`: unprintables dropped, cut at 140)
so one old name cannot make the whole file, and everyone's payout, fail.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from lxml import etree

from settlement.payouts.bin import validate_bin
from settlement.payouts.errors import InvalidBin, InvalidIban, InvalidPayee, PayoutFileInvalid
from settlement.payouts.iban import validate_kz_iban

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
XSD_PATH = Path(__file__).with_name("pain.001.001.09.xsd")
CURRENCY = "KZT"
_BIC = re.compile(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_KNP = re.compile(r"^\d{3}$")
_KBE = re.compile(r"^[12]\d$")
_MAX_TEXT = 140  # Max140Text
MAX_PARTY_NAME = _MAX_TEXT
_MAX_ID = 35


@dataclass(frozen=True)
class Party:
    """A debtor or creditor: legal name, KZ IBAN, bank BIC and IIN/BIN."""

    name: str
    iban: str
    bic: str
    bin: str


@dataclass(frozen=True)
class CreditTransfer:
    """One payout: a batch's net amount in tiyn to one payee."""

    end_to_end_id: str
    amount_tiyn: int
    payee: Party
    remittance_text: str


@dataclass(frozen=True)
class PurposeCodes:
    """KNP (payment purpose code) and KBe (beneficiary residency + economic sector code)."""

    knp: str = "859"
    kbe: str = "17"

    def __post_init__(self) -> None:
        if not _KNP.match(self.knp):
            raise InvalidPayee(f"KNP must be 3 digits, got {self.knp!r}")
        if not _KBE.match(self.kbe):
            raise InvalidPayee(f"KBe must be 2 digits starting with 1 or 2, got {self.kbe!r}")


def _printable(char: str) -> bool:
    return not unicodedata.category(char).startswith("C")


def check_party_name(raw: str) -> str:
    """The name as the file carries it (whitespace runs as one space); else InvalidPayee."""
    name = " ".join(raw.split())
    if not 1 <= len(name) <= MAX_PARTY_NAME:
        raise InvalidPayee(f"name must be 1-{MAX_PARTY_NAME} characters")
    if not all(_printable(c) for c in name):
        raise InvalidPayee("name must hold printable characters only (no control, format "
                           "or private-use characters)")
    return name


def fit_party_name(raw: str) -> str:
    """The name with unprintable characters dropped and cut at MAX_PARTY_NAME characters."""
    printable = "".join(c if _printable(c) else " " for c in raw)
    return " ".join(printable.split())[:MAX_PARTY_NAME].rstrip()


def validate_party(party: Party, *, role: str) -> Party:
    """The party with normalised IBAN/BIN/BIC; raises a `PayoutError` naming the role."""
    try:
        name = check_party_name(party.name)
    except InvalidPayee as exc:
        raise InvalidPayee(f"{role} {exc}, got {party.name!r}") from exc
    bic = party.bic.strip().upper()
    if not _BIC.match(bic):
        raise InvalidPayee(f"{role} BIC {party.bic!r} is not a valid BIC")
    try:
        iban = validate_kz_iban(party.iban)
    except InvalidIban as exc:
        raise InvalidIban(f"{role}: {exc}") from exc
    try:
        bin_ = validate_bin(party.bin)
    except InvalidBin as exc:
        raise InvalidBin(f"{role}: {exc}") from exc
    return Party(name=name, iban=iban, bic=bic, bin=bin_)


def _validate_transfer(transfer: CreditTransfer) -> CreditTransfer:
    if not 0 < len(transfer.end_to_end_id) <= _MAX_ID:
        raise InvalidPayee(f"EndToEndId must be 1-{_MAX_ID} chars: {transfer.end_to_end_id!r}")
    if transfer.amount_tiyn <= 0:
        raise InvalidPayee(f"transfer {transfer.end_to_end_id} amount must be positive")
    fitted = Party(fit_party_name(transfer.payee.name), transfer.payee.iban,
                   transfer.payee.bic, transfer.payee.bin)
    payee = validate_party(fitted, role=f"payee of {transfer.end_to_end_id}")
    return CreditTransfer(transfer.end_to_end_id, transfer.amount_tiyn, payee,
                          transfer.remittance_text)


def tiyn_to_text(amount_tiyn: int) -> str:
    """Tiyn as the decimal KZT text the schema wants (two fraction digits, no exponent)."""
    whole, frac = divmod(amount_tiyn, 100)
    return f"{whole}.{frac:02d}"


def remittance_line(purpose: PurposeCodes, text: str) -> str:
    """`/KNP/859/KBE/17/<text>` cut to the 140-character limit of `Ustrd`."""
    return f"/KNP/{purpose.knp}/KBE/{purpose.kbe}/{' '.join(text.split())}"[:_MAX_TEXT]


def _el(parent: etree._Element, tag: str, text: str | None = None,
        **attrs: str) -> etree._Element:
    child = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", **attrs)
    if text is not None:
        child.text = text
    return child


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    node = _el(parent, tag)
    _el(node, "Nm", party.name)
    other = _el(_el(_el(node, "Id"), "OrgId"), "Othr")
    _el(other, "Id", party.bin)
    _el(_el(other, "SchmeNm"), "Cd", "TXID")
    _el(other, "Issr", "KZ")
    _el(node, "CtryOfRes", "KZ")


def _account(parent: etree._Element, tag: str, iban: str) -> None:
    node = _el(parent, tag)
    _el(_el(node, "Id"), "IBAN", iban)
    _el(node, "Ccy", CURRENCY)


def _agent(parent: etree._Element, tag: str, bic: str) -> None:
    _el(_el(_el(parent, tag), "FinInstnId"), "BICFI", bic)


def _transaction(parent: etree._Element, tx: CreditTransfer, purpose: PurposeCodes) -> None:
    node = _el(parent, "CdtTrfTxInf")
    _el(_el(node, "PmtId"), "EndToEndId", tx.end_to_end_id)
    _el(_el(node, "Amt"), "InstdAmt", tiyn_to_text(tx.amount_tiyn), Ccy=CURRENCY)
    _agent(node, "CdtrAgt", tx.payee.bic)
    _party(node, "Cdtr", tx.payee)
    _account(node, "CdtrAcct", tx.payee.iban)
    _el(_el(node, "RmtInf"), "Ustrd", remittance_line(purpose, tx.remittance_text))


def _group_header(root: etree._Element, message_id: str, created_at: datetime,
                  transfers: Sequence[CreditTransfer], debtor: Party) -> None:
    header = _el(root, "GrpHdr")
    _el(header, "MsgId", message_id)
    _el(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _el(header, "NbOfTxs", str(len(transfers)))
    _el(header, "CtrlSum", tiyn_to_text(sum(t.amount_tiyn for t in transfers)))
    _el(_el(header, "InitgPty"), "Nm", debtor.name)


def build_pain001(*, message_id: str, created_at: datetime, execution_date: date,
                  debtor: Party, transfers: Sequence[CreditTransfer],
                  purpose: PurposeCodes) -> bytes:
    """The validated XML document (UTF-8 bytes); raises before building on any bad party."""
    if not transfers:
        raise InvalidPayee("a payout file needs at least one credit transfer")
    if not 0 < len(message_id) <= _MAX_ID:
        raise InvalidPayee(f"message id must be 1-{_MAX_ID} characters: {message_id!r}")
    debtor = validate_party(debtor, role="debtor")
    checked = [_validate_transfer(t) for t in transfers]
    root = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    initiation = _el(root, "CstmrCdtTrfInitn")
    _group_header(initiation, message_id, created_at, checked, debtor)
    info = _el(initiation, "PmtInf")
    _el(info, "PmtInfId", message_id)
    _el(info, "PmtMtd", "TRF")
    # Not batch-booked: each merchant's payout appears as its own line on the operator's statement.
    _el(info, "BtchBookg", "false")
    _el(info, "NbOfTxs", str(len(checked)))
    _el(info, "CtrlSum", tiyn_to_text(sum(t.amount_tiyn for t in checked)))
    _el(_el(info, "ReqdExctnDt"), "Dt", execution_date.isoformat())
    _party(info, "Dbtr", debtor)
    _account(info, "DbtrAcct", debtor.iban)
    _agent(info, "DbtrAgt", debtor.bic)
    # The operator bears bank charges so the merchant receives exactly the batch net.
    _el(info, "ChrgBr", "DEBT")
    for tx in checked:
        _transaction(info, tx, purpose)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                     pretty_print=True)
    validate_document(document)
    return document


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def validate_document(document: bytes) -> None:
    """Raise `PayoutFileInvalid` listing the XSD errors when the document is not valid."""
    try:
        tree = etree.fromstring(document)
    except etree.XMLSyntaxError as exc:
        raise PayoutFileInvalid(f"payout document is not well-formed XML: {exc}") from exc
    schema = _schema()
    if not schema.validate(tree):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise PayoutFileInvalid(f"payout document fails pain.001.001.09 XSD: {errors}")


def write_document(path: Path, document: bytes) -> Path:
    """Validate, then write atomically (temp file + rename) so readers never see half a file."""
    validate_document(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(document)
    os.replace(tmp, path)
    return path
