"""History methods: getSignaturesForAddress and getTransaction, honouring commitment."""

from __future__ import annotations

from typing import Any

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.encoding import TX_ENCODINGS, check_encoding, ui_meta, ui_transaction
from gateway.devnet.solana.errors import InvalidParams, VersionNotSupported
from gateway.devnet.solana.ledger import Commitment, Ledger
from gateway.devnet.solana.params import Params, commitment, context_slot, parse_signature
from gateway.devnet.solana.records import TxRecord


def _limit(config: dict[str, Any]) -> int:
    limit = config.get("limit")
    if limit is None:
        return c.MAX_SIGNATURES_LIMIT
    if not isinstance(limit, int) or isinstance(limit, bool) or not (
        1 <= limit <= c.MAX_SIGNATURES_LIMIT
    ):
        raise InvalidParams(f"Invalid limit; max {c.MAX_SIGNATURES_LIMIT}")
    return limit


def _optional_signature(config: dict[str, Any], name: str) -> str | None:
    raw = config.get(name)
    return None if raw is None else str(parse_signature(str(raw)))


def _signature_info(ledger: Ledger, record: TxRecord) -> dict[str, Any]:
    return {
        "blockTime": record.block_time,
        "confirmationStatus": ledger.commitment_of(record).wire,
        "err": record.execution.err,
        "memo": record.memo,
        "signature": record.signature,
        "slot": record.slot,
    }


def _page(records: list[TxRecord], before: str | None, until: str | None,
          limit: int) -> list[TxRecord]:
    """Newest first, strictly older than `before`, strictly newer than `until`."""
    newest_first = list(reversed(records))
    if before is not None:
        positions = [i for i, r in enumerate(newest_first) if r.signature == before]
        # The validator answers an unknown `before` with an empty list.
        if not positions:
            return []
        newest_first = newest_first[positions[0] + 1:]
    page: list[TxRecord] = []
    for record in newest_first:
        if record.signature == until or len(page) == limit:
            break
        page.append(record)
    return page


def get_signatures_for_address(ledger: Ledger, params: Params) -> Any:
    address = params.pubkey(0, "address")
    config = params.config(1)
    level = commitment(config, minimum=Commitment.CONFIRMED)
    context_slot(ledger, config, level)
    limit = _limit(config)
    before = _optional_signature(config, "before")
    until = _optional_signature(config, "until")
    visible = [r for r in ledger.signatures_for(address) if ledger.visible(r, level)]
    return [_signature_info(ledger, r) for r in _page(visible, before, until, limit)]


def _tx_config(params: Params) -> dict[str, Any]:
    # The deprecated form passes the encoding itself as the second parameter.
    if len(params.raw) > 1 and isinstance(params.raw[1], str):
        return {"encoding": params.raw[1]}
    return params.config(1)


def _max_version(config: dict[str, Any]) -> int | None:
    raw = config.get("maxSupportedTransactionVersion")
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise InvalidParams("Invalid params: maxSupportedTransactionVersion must be a u8")
    return raw


def get_transaction(ledger: Ledger, params: Params) -> Any:
    signature = str(params.signature(0))
    config = _tx_config(params)
    encoding = check_encoding(config.get("encoding", "json"), TX_ENCODINGS)
    level = commitment(config, minimum=Commitment.CONFIRMED)
    max_version = _max_version(config)
    record = ledger.by_signature.get(signature)
    if record is None or not ledger.visible(record, level):
        return None
    if not record.legacy and max_version is None:
        raise VersionNotSupported(
            "Transaction version (0) is not supported by the requesting client. Please try "
            'the request again with the following configuration parameter: '
            '"maxSupportedTransactionVersion": 0'
        )
    result: dict[str, Any] = {
        "blockTime": record.block_time,
        "meta": ui_meta(record, encoding),
        "slot": record.slot,
        "transaction": ui_transaction(record, encoding),
    }
    if max_version is not None:
        result["version"] = "legacy" if record.legacy else 0
    return result


METHODS = {
    "getSignaturesForAddress": get_signatures_for_address,
    "getTransaction": get_transaction,
}
