"""Abuse limits on the public pages: a token bucket per client address on /pay and /qr (429
with Retry-After, the API untouched), and caps on open public live streams."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from gateway.config import CheckoutSettings
from gateway.errors import RateLimited, ServiceUnavailable
from gateway.http.public_limits import StreamSlots
from tests.plugins.app import running_app, settings_for_tests


async def test_public_pages_are_throttled_per_address(database_url: str,
                                                      tmp_path: Path) -> None:
    settings = settings_for_tests(database_url, tmp_path,
                                  checkout=replace(CheckoutSettings(), rate_limit=1,
                                                   rate_burst=3))
    async with running_app(settings) as server, aiohttp.ClientSession() as http:
        statuses = []
        for path in ("/pay/inv_missing", "/qr/x/BNB.svg", "/pay/inv_missing/events",
                     "/pay/inv_missing"):
            async with http.get(server.url + path) as response:
                statuses.append(response.status)
                if response.status == 429:
                    assert int(response.headers["Retry-After"]) >= 1
                    assert (await response.json())["error"]["code"] == "rate_limited"
        assert statuses[:3] != [429] * 3 and statuses[3] == 429
        async with http.get(f"{server.url}/healthz") as response:
            assert response.status == 200  # only the public pages are limited here


def test_stream_slots_cap_per_address_and_in_total() -> None:
    slots = StreamSlots(total=3, per_address=2)
    with slots.hold("10.0.0.1"), slots.hold("10.0.0.1"):
        with pytest.raises(RateLimited), slots.hold("10.0.0.1"):
            pass
        with slots.hold("10.0.0.2"), pytest.raises(ServiceUnavailable), \
                slots.hold("10.0.0.3"):
            pass
    assert slots.open_count == 0  # every slot given back, also after refusals
