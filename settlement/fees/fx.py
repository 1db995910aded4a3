"""Treasury conversions: crypto sold for tenge, with the FX result recognised at average cost.

Method (weighted average cost of the FX position). Every settled invoice adds its crypto units
to `fx_position:<asset>` and the tenge it was booked at (its locked quote) to the KZT side of
the position. The cost of the units held is the KZT booked against them still in the position;
converting N of U units held at cost C releases round_half_up(N * C / U) tiyn of cost (all of
C when N == U, so no residue is left behind). The entry (kind `fx_conversion`):

    Cr custody:<chain>:<asset>      N units     the crypto leaves custody
    Dr fx_position:<asset>          N units
    Dr bank                         K tiyn      the tenge actually received
    Cr fx_position:KZT              cost        the KZT booked for those units
    Cr fx_result  K - cost          (a gain)    or  Dr fx_result cost - K (a loss)

Conversions of one asset are serialised by an advisory lock so each sees the position the
previous one left; the reference makes a repeated command a harmless replay.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import structlog

from settlement.db import Conn
from settlement.fees import queries
from settlement.fees.errors import InsufficientPosition, InvalidConversion
from settlement.ledger import BANK, FX_RESULT, Posting, credit, custody_of, debit, fx_position, post
from settlement.money import DEFAULT_REGISTRY, KZT, Currency, CurrencyRegistry

log = structlog.get_logger(__name__)
ENTRY_KIND = "fx_conversion"


@dataclass(frozen=True, slots=True)
class Conversion:
    """A booked conversion; `fx_result` is positive for a gain, negative for a loss."""

    entry_id: int
    reference: str
    asset: str
    units: int
    kzt_received: int
    cost: int
    fx_result: int
    created: bool


def average_cost(units: int, held_units: int, held_cost: int) -> int:
    """The KZT cost of `units` out of `held_units` that cost `held_cost` (half-up rounding)."""
    if units == held_units:
        return held_cost
    return (2 * units * held_cost + held_units) // (2 * held_units)


def _asset(code: str, registry: CurrencyRegistry) -> Currency:
    cur = registry.get(code)
    if cur.chain is None:
        raise InvalidConversion(f"{code} is not a crypto asset (expected chain:ASSET)")
    return cur


def _postings(cur: Currency, units: int, kzt: int, cost: int) -> list[Posting]:
    lines = [
        credit(custody_of(cur), units),
        debit(fx_position(cur), units),
        debit(BANK, kzt),
    ]
    if cost:
        lines.append(credit(fx_position(KZT), cost))
    if kzt > cost:
        lines.append(credit(FX_RESULT, kzt - cost))
    elif cost > kzt:
        lines.append(debit(FX_RESULT, cost - kzt))
    return lines


def _from_metadata(entry_id: int, metadata: dict[str, object]) -> Conversion:
    return Conversion(
        entry_id=entry_id, reference=str(metadata["reference"]), asset=str(metadata["asset"]),
        units=int(str(metadata["units"])), kzt_received=int(str(metadata["kzt_received"])),
        cost=int(str(metadata["cost"])), fx_result=int(str(metadata["fx_result"])),
        created=False,
    )


async def _replayed(conn: Conn, key: str, asset: str, units: int, kzt: int) -> Conversion | None:
    row = await queries.entry_by_key(conn, key)
    if row is None:
        return None
    done = _from_metadata(row["id"], json.loads(row["metadata"]))
    if (done.asset, done.units, done.kzt_received) != (asset, units, kzt):
        raise InvalidConversion(
            f"reference {done.reference} was used for {done.units} {done.asset} -> "
            f"{done.kzt_received} tiyn"
        )
    return done


async def convert(
    conn: Conn,
    *,
    asset: str,
    units: int,
    kzt_received: int,
    reference: str | None = None,
    registry: CurrencyRegistry = DEFAULT_REGISTRY,
) -> Conversion:
    """Book a conversion of `units` of `asset` into `kzt_received` tiyn (see module doc)."""
    cur = _asset(asset, registry)
    if type(units) is not int or units <= 0 or type(kzt_received) is not int or kzt_received <= 0:
        raise InvalidConversion("units and kzt must be positive integers of minor units")
    ref = reference or f"fxc_{secrets.token_hex(8)}"
    if not 1 <= len(ref) <= 100:
        raise InvalidConversion("reference must be 1..100 characters")
    key = f"fx_conversion:{ref}"
    async with conn.transaction():
        await queries.lock_conversions(conn, cur.code)
        done = await _replayed(conn, key, cur.code, units, kzt_received)
        if done is not None:
            return done
        held = await queries.position_cost(conn, fx_position(cur).code, fx_position(KZT).code,
                                           cur.code)
        held_units, held_cost = int(held["units"]), int(held["kzt_cost"])
        if units > held_units:
            raise InsufficientPosition(
                f"cannot convert {units} {cur.code}: the FX position holds {held_units}"
            )
        cost = average_cost(units, held_units, held_cost)
        result = kzt_received - cost
        metadata = {"reference": ref, "asset": cur.code, "units": str(units),
                    "kzt_received": str(kzt_received), "cost": str(cost),
                    "fx_result": str(result), "position_units": str(held_units),
                    "position_cost": str(held_cost)}
        entry = await post(conn, idempotency_key=key, kind=ENTRY_KIND,
                           postings=_postings(cur, units, kzt_received, cost),
                           reference=ref, metadata=metadata)
    log.info("fx_conversion_booked", asset=cur.code, units=units, kzt=kzt_received,
             cost=cost, fx_result=result, entry_id=entry.id)
    return Conversion(entry.id, ref, cur.code, units, kzt_received, cost, result, True)
