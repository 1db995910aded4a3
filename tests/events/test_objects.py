"""Event shapes: links stored as paths are resolved against the reader's public URL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from gateway.events.objects import event_payload, resolve_urls

PUBLIC = "https://pay.example.kz"


def _stored() -> dict[str, object]:
    return {
        "object": "invoice", "id": "inv_1", "checkout_url": "/pay/inv_1",
        "redirect_url": "https://shop.example/done", "description": "/not/a/link",
        "payment_options": [{"qr_svg_url": "/qr/t/SOL.svg", "qr_png_url": "/qr/t/SOL.png",
                             "uri": "solana:Treasury111?amount=1"}],
        "metadata": {"odd_url": "//elsewhere.example/x", "n": 1},
    }


def test_paths_in_url_fields_become_absolute_and_nothing_else_changes() -> None:
    resolved = resolve_urls(_stored(), PUBLIC)
    assert resolved["checkout_url"] == f"{PUBLIC}/pay/inv_1"
    assert resolved["payment_options"] == [{
        "qr_svg_url": f"{PUBLIC}/qr/t/SOL.svg", "qr_png_url": f"{PUBLIC}/qr/t/SOL.png",
        "uri": "solana:Treasury111?amount=1"}]
    assert resolved["redirect_url"] == "https://shop.example/done"
    assert resolved["description"] == "/not/a/link"
    assert resolved["metadata"] == {"odd_url": "//elsewhere.example/x", "n": 1}


def test_absolute_links_pass_unchanged() -> None:
    absolute = resolve_urls(_stored(), PUBLIC)
    assert resolve_urls(absolute, "https://other.example") == absolute


def test_webhook_payload_carries_absolute_links() -> None:
    body = event_payload(event_id="evt_1", type="invoice.settled",
                         created=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                         api_version="2025-01-01", data_json=json.dumps(_stored()),
                         public_url=PUBLIC, livemode=False)
    payload = json.loads(body)
    assert payload["created"] == "2026-01-02T03:04:05Z"
    assert payload["livemode"] is False
    assert payload["data"]["checkout_url"] == f"{PUBLIC}/pay/inv_1"
    assert payload["data"]["payment_options"][0]["qr_png_url"] == f"{PUBLIC}/qr/t/SOL.png"
