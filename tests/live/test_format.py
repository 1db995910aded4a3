"""SSE framing and the live view of an invoice (remaining amounts, public fields)."""

from __future__ import annotations

import pytest

from gateway.live.sse import format_comment, format_event, format_retry
from gateway.live.views import live_view
from tests.webhooks.support import invoice_data


def test_event_framing() -> None:
    assert format_event('{"a":1}', event="invoice.settled", id="evt_1") == (
        b'id: evt_1\nevent: invoice.settled\ndata: {"a":1}\n\n')
    assert format_event("one\ntwo") == b"data: one\ndata: two\n\n"
    assert format_comment("heartbeat") == b": heartbeat\n\n"
    assert format_retry(3000) == b"retry: 3000\n\n"
    with pytest.raises(ValueError):
        format_event("x", id="evt_1\nevent: forged")


def test_remaining_is_rounded_up_per_option() -> None:
    invoice = invoice_data("inv_x", amount_paid=500_000)  # a third of 1 500 000 tiyn paid
    view = live_view(invoice, public=False)
    assert view["amount_remaining"] == 1_000_000
    [option] = view["payment_options"]
    # 10 000.00 KZT still owed at 75 000 KZT/SOL = 0.1333333333… SOL, rounded up to the lamport
    assert option["amount_remaining_units"] == "133333334"
    assert option["amount_remaining"] == "0.133333334"
    paid = live_view(invoice_data("inv_x", amount_paid=2_000_000), public=False)
    assert paid["amount_remaining"] == 0
    assert paid["payment_options"][0]["amount_remaining_units"] == "0"


def test_public_view_has_no_merchant_private_fields() -> None:
    invoice = invoice_data("inv_x") | {"payment_tolerance": {"bps": 10},
                                       "monitoring_window": 86400}
    view = live_view(invoice, public=True)
    assert "metadata" not in view and "payment_tolerance" not in view
    assert "monitoring_window" not in view
    assert view["order_id"] == "order-1" and view["status"] == "new"
    assert view["payment_options"][0]["amount_remaining_units"] == "20000000001"
