"""Transaction methods: send, simulate, statuses, signatures by address, getTransaction."""

from __future__ import annotations

from typing import Any

from solders.message import Message, MessageV0
from solders.transaction import VersionedTransaction

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.encoding import ACCOUNT_ENCODINGS, check_encoding
from gateway.devnet.solana.errors import (
    InvalidParams,
    PreflightFailed,
    SignatureVerification,
    TransactionRejected,
)
from gateway.devnet.solana.ledger import Commitment, Ledger
from gateway.devnet.solana.methods_chain import with_context
from gateway.devnet.solana.params import (
    Params,
    commitment,
    context_slot,
    decode_wire,
    parse_hash,
    parse_signature,
)
from gateway.devnet.solana.records import TxRecord, message_of
from gateway.devnet.solana.simulation import simulation_value
from gateway.devnet.solana.txerrors import error_message


def _decode_tx(params: Params, config: dict[str, Any]) -> tuple[VersionedTransaction, bytes]:
    wire = decode_wire(params.string(0, "transaction"), config.get("encoding", "base58"))
    try:
        tx = VersionedTransaction.from_bytes(wire)
        tx.sanitize()
        message_of(tx)
    except ValueError as exc:
        raise InvalidParams(f"invalid transaction: {exc}") from exc
    return tx, wire


def _verify(tx: VersionedTransaction) -> None:
    if not all(tx.verify_with_results()):
        raise SignatureVerification("Transaction signature verification failure")


def send_transaction(ledger: Ledger, params: Params) -> Any:
    config = params.config(1)
    tx, wire = _decode_tx(params, config)
    _verify(tx)
    skip = bool(config.get("skipPreflight", False))
    if not skip:
        level = commitment({"commitment": config.get("preflightCommitment", "finalized")})
        context_slot(ledger, config, level)
        _preflight(ledger, tx)
    try:
        record = ledger.execute(tx, wire)
    except TransactionRejected as exc:
        if skip:
            # A validator drops what it cannot execute; the client only ever sees a signature.
            return str(tx.signatures[0])
        raise _preflight_error(exc.err, simulation_value(None, exc.err)) from exc
    return record.signature


def _preflight(ledger: Ledger, tx: VersionedTransaction) -> None:
    sig = str(tx.signatures[0])
    rejected = None
    if sig in ledger.by_signature:
        rejected = "AlreadyProcessed"
    elif not ledger.blockhash_valid(str(tx.message.recent_blockhash)):
        rejected = "BlockhashNotFound"
    if rejected is not None:
        raise _preflight_error(rejected, simulation_value(None, rejected))
    try:
        sim = ledger.simulate(tx, sig_verify=False)
    except TransactionRejected as exc:
        raise _preflight_error(exc.err, simulation_value(None, exc.err)) from exc
    if sim.execution.err is not None:
        raise _preflight_error(sim.execution.err, simulation_value(sim, sim.execution.err))


def _preflight_error(err: Any, data: dict[str, Any]) -> PreflightFailed:
    return PreflightFailed(f"Transaction simulation failed: {error_message(err)}", data=data)


def _replace_blockhash(
    ledger: Ledger, tx: VersionedTransaction
) -> tuple[VersionedTransaction, str]:
    blockhash = ledger.blockhash_at(ledger.slot)
    new_hash = parse_hash(blockhash)
    msg = message_of(tx)
    if isinstance(msg, MessageV0):
        message: Message | MessageV0 = MessageV0(
            msg.header, list(msg.account_keys), new_hash, list(msg.instructions),
            list(msg.address_table_lookups),
        )
    else:
        header = msg.header
        message = Message.new_with_compiled_instructions(
            header.num_required_signatures, header.num_readonly_signed_accounts,
            header.num_readonly_unsigned_accounts, list(msg.account_keys), new_hash,
            list(msg.instructions),
        )
    return VersionedTransaction.populate(message, list(tx.signatures)), blockhash


def simulate_transaction(ledger: Ledger, params: Params) -> Any:
    config = params.config(1)
    tx, _ = _decode_tx(params, config)
    sig_verify = bool(config.get("sigVerify", False))
    replace = bool(config.get("replaceRecentBlockhash", False))
    if sig_verify and replace:
        raise InvalidParams("sigVerify may not be used with replaceRecentBlockhash")
    if sig_verify:
        _verify(tx)
    slot = context_slot(ledger, config, commitment(config))
    replacement = None
    if replace:
        tx, blockhash = _replace_blockhash(ledger, tx)
        replacement = {"blockhash": blockhash,
                       "lastValidBlockHeight": ledger.slot + c.BLOCKHASH_VALID_SLOTS}
    elif not ledger.blockhash_valid(str(tx.message.recent_blockhash)):
        return with_context(slot, simulation_value(None, "BlockhashNotFound"))
    try:
        sim = ledger.simulate(tx, sig_verify=False)
    except TransactionRejected as exc:
        return with_context(slot, simulation_value(None, exc.err))
    accounts = config.get("accounts")
    value = simulation_value(
        sim, sim.execution.err,
        accounts=_accounts_request(accounts), ledger=ledger,
        inner=bool(config.get("innerInstructions", False)), replacement=replacement,
    )
    return with_context(slot, value)


def _accounts_request(raw: Any) -> tuple[list[str], str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("addresses"), list):
        raise InvalidParams("Invalid params: accounts needs an addresses list")
    encoding = check_encoding(raw.get("encoding", "base64"), ACCOUNT_ENCODINGS)
    if encoding == "base58":
        raise InvalidParams("base58 encoding not supported")
    return [str(a) for a in raw["addresses"]], encoding


def _status(ledger: Ledger, record: TxRecord) -> dict[str, Any]:
    level = ledger.commitment_of(record)
    err = record.execution.err
    return {
        "confirmationStatus": level.wire,
        "confirmations": None if level is Commitment.FINALIZED else ledger.slot - record.slot,
        "err": err,
        "slot": record.slot,
        "status": {"Ok": None} if err is None else {"Err": err},
    }


def get_signature_statuses(ledger: Ledger, params: Params) -> Any:
    raw = params.required(0, "signatures")
    if not isinstance(raw, list) or len(raw) > c.MAX_SIGNATURE_STATUSES:
        raise InvalidParams(
            f"Invalid params: too many inputs provided; max {c.MAX_SIGNATURE_STATUSES}"
        )
    search = bool(params.config(1).get("searchTransactionHistory", False))
    oldest = ledger.slot - c.STATUS_CACHE_SLOTS
    values: list[dict[str, Any] | None] = []
    for text in raw:
        record = ledger.by_signature.get(str(parse_signature(str(text))))
        if record is None or (not search and record.slot < oldest):
            values.append(None)
        else:
            values.append(_status(ledger, record))
    return with_context(ledger.slot, values)


METHODS = {
    "sendTransaction": send_transaction,
    "simulateTransaction": simulate_transaction,
    "getSignatureStatuses": get_signature_statuses,
}
