"""The gateway's HTTP APIs as the simulator uses them: retried across the API's deaths.

A process killed mid-request leaves the client with a dropped connection; the merchant retries
with the same Idempotency-Key (the documented way), so a create that committed before the kill
answers with the same invoice instead of making a second one.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp

RETRY_FOR_S = 60.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ApiFailed(Exception):
    pass


class Api:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, key: str,
                 admin_token: str) -> None:
        self.session, self.base_url = session, base_url
        self.key, self.admin_token = key, admin_token
        self.retries = 0

    async def request(self, method: str, path: str, *, body: Any = None,
                      headers: dict[str, str] | None = None, token: str | None = None) -> Any:
        """The JSON answer; retried on a dropped connection or a retryable status."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_FOR_S
        sent = {"Authorization": f"Bearer {token or self.key}", **(headers or {})}
        while True:
            try:
                async with self.session.request(
                        method, self.base_url + path, json=body, headers=sent,
                        timeout=aiohttp.ClientTimeout(total=15)) as answer:
                    text = await answer.text()
                    if answer.status == 200:
                        return await answer.json(content_type=None)
                    if answer.status not in RETRY_STATUSES:
                        raise ApiFailed(f"{method} {path}: {answer.status} {text[:500]}")
                    problem = f"{answer.status} {text[:200]}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = repr(exc)
            if loop.time() > deadline:
                raise ApiFailed(f"{method} {path}: still failing after {RETRY_FOR_S}s: "
                                f"{problem}")
            self.retries += 1
            await asyncio.sleep(0.2)

    async def create_invoice(self, order_id: str, amount: int,
                             assets: list[str]) -> dict[str, Any]:
        invoice: dict[str, Any] = await self.request(
            "POST", "/v1/invoices", headers={"Idempotency-Key": f"chaos-{order_id}"},
            body={"amount": amount, "order_id": order_id, "assets": assets})
        return invoice

    async def invoice(self, invoice_id: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.request("GET", f"/v1/invoices/{invoice_id}")
        return found

    async def status(self) -> dict[str, Any]:
        found: dict[str, Any] = await self.request("GET", "/v1/status")
        return found

    async def exceptions(self) -> list[dict[str, Any]]:
        """Every item of the exceptions queue, all pages."""
        items: list[dict[str, Any]] = []
        cursor = ""
        while True:
            after = quote(cursor, safe="")
            page = await self.request("GET", f"/admin/api/exceptions?limit=500&after={after}",
                                      token=self.admin_token)
            items.extend(page["data"])
            if not page["has_more"]:
                return items
            cursor = page["next_cursor"]
