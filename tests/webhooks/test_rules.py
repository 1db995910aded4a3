"""Retry schedule, state machines and request validation of the webhooks domain."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from gateway.errors import IllegalStateTransition
from gateway.webhooks.errors import IllegalDeliveryMove, InvalidEventFilter
from gateway.webhooks.service import RetryPolicy, parse_enabled_events
from gateway.webhooks.states import (
    DeliveryStatus,
    EndpointStatus,
    delivery_transition,
    endpoint_transition,
)

DEFAULT = RetryPolicy(base_seconds=10, cap_seconds=6 * 3600, window_seconds=3 * 86400)


def test_default_schedule_grows_by_three_and_caps_at_six_hours() -> None:
    delays = [DEFAULT.nominal_delay(n) for n in range(1, 11)]
    assert delays == [10, 30, 90, 270, 810, 2430, 7290, 21600, 21600, 21600]
    assert DEFAULT.nominal_delay(10_000) == 21600  # no overflow for huge attempt numbers


def test_jitter_stays_within_twenty_percent() -> None:
    rng = random.Random(7)
    for attempt in range(1, 8):
        for _ in range(50):
            delay = DEFAULT.delay(attempt, rng)
            assert 0.8 * DEFAULT.nominal_delay(attempt) <= delay
            assert delay <= 1.2 * DEFAULT.nominal_delay(attempt)


def test_gives_up_after_the_window() -> None:
    created = datetime(2025, 1, 1, tzinfo=UTC)
    rng = random.Random(1)
    assert DEFAULT.next_delay(3, created, created + timedelta(hours=1), rng) is not None
    assert DEFAULT.next_delay(20, created, created + timedelta(days=3) - timedelta(minutes=1),
                              rng) is None


def test_the_default_schedule_makes_about_twenty_attempts_in_three_days() -> None:
    created = now = datetime(2025, 1, 1, tzinfo=UTC)
    rng, attempts = random.Random(3), 1
    while (delay := DEFAULT.next_delay(attempts, created, now, rng)) is not None:
        now += timedelta(seconds=delay)
        attempts += 1
    assert 15 <= attempts <= 25
    assert created + timedelta(days=2, hours=12) < now <= created + timedelta(days=3)


def test_delivery_moves() -> None:
    assert delivery_transition("pending", DeliveryStatus.DELIVERED) is DeliveryStatus.DELIVERED
    for terminal in ("delivered", "failed", "cancelled"):
        with pytest.raises(IllegalDeliveryMove):
            delivery_transition(terminal, DeliveryStatus.PENDING)
    with pytest.raises(IllegalDeliveryMove):
        delivery_transition("delivered", DeliveryStatus.FAILED)


def test_endpoint_moves() -> None:
    assert endpoint_transition("enabled", EndpointStatus.DELETED) is EndpointStatus.DELETED
    with pytest.raises(IllegalDeliveryMove):
        endpoint_transition("deleted", EndpointStatus.ENABLED)


def test_illegal_moves_are_state_transition_errors_naming_both_ends() -> None:
    """The webhooks tables go through gateway.states.Transitions, as invoices and refunds do."""
    with pytest.raises(IllegalStateTransition) as delivery:
        delivery_transition("failed", DeliveryStatus.DELIVERED)
    assert isinstance(delivery.value, IllegalDeliveryMove)
    assert str(delivery.value) == "delivery cannot move from failed to delivered"
    assert (delivery.value.current, delivery.value.target) == ("failed", "delivered")
    with pytest.raises(IllegalDeliveryMove) as endpoint:
        endpoint_transition("deleted", EndpointStatus.DISABLED)
    assert str(endpoint.value) == "endpoint cannot move from deleted to disabled"


def test_enabled_events_validation() -> None:
    assert parse_enabled_events(["invoice.settled", "invoice.created", "invoice.settled"]) == [
        "invoice.created", "invoice.settled"]
    assert parse_enabled_events(["invoice.settled", "*"]) == ["*"]
    for bad in ([], ["invoice.bogus"], "invoice.settled", [1], None):
        with pytest.raises(InvalidEventFilter):
            parse_enabled_events(bad)
