"""HSTS on every response (API, checkout, console) behind https; none over plain http."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import aiohttp

from tests.plugins.app import running_app, settings_for_tests


async def test_hsts_on_every_response_behind_https(database_url: str, tmp_path: Path) -> None:
    plain = settings_for_tests(database_url, tmp_path)
    behind_https = replace(plain, public_url="https://pay.example.kz")
    async with running_app(behind_https) as server, aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{behind_https.port}"
        for path in ("/healthz", "/v1/invoices", "/pay/inv_missing", "/admin/login"):
            async with http.get(base + path, allow_redirects=False) as response:
                assert response.headers.get("Strict-Transport-Security") == \
                    "max-age=31536000", (path, response.status)
        assert server.url == "https://pay.example.kz"
    async with running_app(plain) as server, aiohttp.ClientSession() as http, \
            http.get(f"{server.url}/healthz") as response:
        assert "Strict-Transport-Security" not in response.headers
