"""The pure payment rules (gateway.lifecycle.rules), case by case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gateway.invoices.states import InvoiceException as X
from gateway.invoices.states import InvoiceStatus as S
from gateway.lifecycle.rules import Credit, Terms, amount_due, decide, is_dust
from gateway.rates.units import value_tiyn

T0 = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
EXPIRES = T0 + timedelta(minutes=15)
TERMS = Terms(status=S.NEW, exception=None, amount=150_000, amount_paid=0, expires_at=EXPIRES,
              monitoring_window=timedelta(hours=24), late_accept_window=timedelta(0),
              tolerance_bps=0, tolerance_tiyn=0)
BEFORE = T0 + timedelta(minutes=1)
LATE = EXPIRES + timedelta(minutes=5)


def targets(decision: object) -> list[str]:
    return [step.target.value for step in decision.steps]  # type: ignore[attr-defined]


def test_value_at_the_locked_rate_rounds_down() -> None:
    assert value_tiyn(5 * 10**15, Decimal("300000.00"), 18) == 150_000
    assert value_tiyn(3 * 10**18, Decimal("500.00"), 18) == 150_000
    assert value_tiyn(3 * 10**18 - 1, Decimal("500.00"), 18) == 149_999
    assert value_tiyn(1, Decimal("500.00"), 18) == 0
    assert value_tiyn(12_345, Decimal("1"), 2) == 12_345  # KZTE: 1 unit = 1 tiyn


def test_tolerance_is_the_larger_allowance() -> None:
    assert amount_due(150_000, 0, 0) == 150_000
    assert amount_due(150_000, 100, 0) == 148_500
    assert amount_due(150_000, 100, 2_000) == 148_000
    assert amount_due(100, 0, 1_000) == 1


def test_full_payment_on_time_goes_processing_then_settled() -> None:
    seen = decide(TERMS, [Credit(150_000, False, BEFORE)], BEFORE)
    assert targets(seen) == ["processing"] and seen.exception is None
    final = decide(TERMS, [Credit(150_000, True, BEFORE)], BEFORE)
    assert targets(final) == ["processing", "settled"]
    processing = replace(TERMS, status=S.PROCESSING, amount_paid=150_000)
    assert targets(decide(processing, [Credit(150_000, True, BEFORE)], BEFORE)) == ["settled"]


def test_within_tolerance_counts_as_paid() -> None:
    terms = replace(TERMS, tolerance_tiyn=100)
    assert targets(decide(terms, [Credit(149_900, False, BEFORE)], BEFORE)) == ["processing"]
    assert targets(decide(terms, [Credit(149_899, False, BEFORE)], BEFORE)) == []


def test_partial_then_top_up() -> None:
    first = decide(TERMS, [Credit(50_000, False, BEFORE)], BEFORE)
    assert targets(first) == [] and first.exception is X.PAID_PARTIAL
    assert first.notices == ("invoice.paid_partial",) and first.amount_paid == 50_000
    terms = replace(TERMS, exception=X.PAID_PARTIAL, amount_paid=50_000)
    again = decide(terms, [Credit(50_000, False, BEFORE)], BEFORE)
    assert not again.changes(terms)
    topped = decide(terms, [Credit(50_000, False, BEFORE), Credit(100_000, False, BEFORE)],
                    BEFORE)
    assert targets(topped) == ["processing"] and topped.exception is None


def test_overpayment_is_flagged() -> None:
    decision = decide(TERMS, [Credit(200_000, False, BEFORE)], BEFORE)
    assert targets(decision) == ["processing"] and decision.exception is X.PAID_OVER


def test_expiry_keeps_partial_without_repeating_the_event() -> None:
    terms = replace(TERMS, exception=X.PAID_PARTIAL, amount_paid=50_000)
    decision = decide(terms, [Credit(50_000, False, BEFORE)], LATE)
    assert targets(decision) == ["expired"] and decision.notices == ()
    assert decision.exception is X.PAID_PARTIAL
    assert targets(decide(TERMS, [], EXPIRES)) == ["expired"]


def test_late_payment_without_auto_accept_stays_expired() -> None:
    expired = replace(TERMS, status=S.EXPIRED)
    decision = decide(expired, [Credit(150_000, True, LATE)], LATE)
    assert targets(decision) == [] and decision.exception is X.PAID_LATE
    assert decision.notices == ("invoice.paid_late",)
    # Seen before the sweep expired it: the invoice expires, then the late payment is noted.
    still_new = decide(TERMS, [Credit(150_000, False, LATE)], LATE)
    assert targets(still_new) == ["expired"] and still_new.exception is X.PAID_LATE


def test_late_payment_within_the_window_is_accepted() -> None:
    expired = replace(TERMS, status=S.EXPIRED, late_accept_window=timedelta(minutes=10))
    decision = decide(expired, [Credit(150_000, False, LATE)], LATE)
    assert targets(decision) == ["processing"] and decision.exception is X.PAID_LATE
    assert decision.notices == ("invoice.paid_late",)
    too_late = decide(expired, [Credit(150_000, False, EXPIRES + timedelta(minutes=11))], LATE)
    assert targets(too_late) == []


def test_payment_sent_before_expiry_but_seen_after_is_on_time() -> None:
    expired = replace(TERMS, status=S.EXPIRED)
    decision = decide(expired, [Credit(150_000, False, BEFORE)], LATE)
    assert targets(decision) == ["processing"] and decision.exception is None


def test_reorged_payment_before_expiry_moves_processing_back_to_new() -> None:
    processing = replace(TERMS, status=S.PROCESSING, amount_paid=150_000)
    back = decide(processing, [], BEFORE)
    assert targets(back) == ["new"] and back.exception is None and back.amount_paid == 0
    assert [step.event for step in back.steps] == ["invoice.reverted"]
    some_left = decide(processing, [Credit(50_000, False, BEFORE)], BEFORE)
    assert targets(some_left) == ["new"] and some_left.exception is X.PAID_PARTIAL


def test_reorged_payment_after_expiry_waits_in_processing_for_the_window() -> None:
    """Replaces the old immediate `invalid`: the same transaction may be mined again."""
    processing = replace(TERMS, status=S.PROCESSING, amount_paid=150_000)
    waiting = decide(processing, [], LATE)
    assert targets(waiting) == [] and waiting.notices == ()
    assert waiting.amount_paid == 0 and waiting.exception is None
    assert waiting.changes(processing)  # amount_paid drops to what still counts
    window_over = EXPIRES + timedelta(hours=24)
    assert targets(decide(replace(processing, amount_paid=0), [], window_over)) == ["invalid"]
    # A zero monitoring window keeps the immediate `invalid`.
    no_window = replace(processing, monitoring_window=timedelta(0))
    assert targets(decide(no_window, [], LATE)) == ["invalid"]


def test_payment_mined_again_after_expiry_counts_as_first_seen() -> None:
    waiting = replace(TERMS, status=S.PROCESSING, amount_paid=0)
    again = [Credit(150_000, False, BEFORE)]  # `at` is its first block time
    pending = decide(waiting, again, LATE)
    assert targets(pending) == [] and pending.amount_paid == 150_000
    assert pending.exception is None
    final = decide(waiting, [Credit(150_000, True, BEFORE)], LATE)
    assert targets(final) == ["settled"] and final.exception is None


def test_other_late_payment_while_waiting_is_judged_by_the_late_window() -> None:
    waiting = replace(TERMS, status=S.PROCESSING, amount_paid=0)
    late = [Credit(150_000, True, LATE)]
    kept = decide(waiting, late, LATE)  # no late window: not counted as the sale
    assert targets(kept) == [] and kept.exception is X.PAID_LATE
    assert targets(decide(waiting, late, EXPIRES + timedelta(hours=24))) == ["invalid"]
    accepting = replace(waiting, late_accept_window=timedelta(minutes=10))
    accepted = decide(accepting, late, LATE)
    assert targets(accepted) == ["settled"] and accepted.exception is X.PAID_LATE


def test_never_final_within_the_monitoring_window_is_invalid() -> None:
    processing = replace(TERMS, status=S.PROCESSING, amount_paid=150_000)
    credits = [Credit(150_000, False, BEFORE)]
    assert targets(decide(processing, credits, EXPIRES + timedelta(hours=23))) == []
    assert targets(decide(processing, credits, EXPIRES + timedelta(hours=24))) == ["invalid"]


def test_final_states_do_not_move() -> None:
    for status in (S.SETTLED, S.INVALID, S.CANCELLED):
        terms = replace(TERMS, status=status)
        assert not decide(terms, [Credit(150_000, True, BEFORE)], LATE).changes(terms)


def test_dust_is_below_its_asset_floor_only() -> None:
    assert is_dust(999, 1_000) and not is_dust(1_000, 1_000)
    assert not is_dust(1, None)  # an asset without a floor has no dust
