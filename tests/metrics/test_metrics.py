"""`GET /v1/status` (public, documented) and `GET /metrics` (Prometheus text format)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from tests.api.helpers import validator
from tests.plugins.app import ApiClient, RunningApp


async def test_status_is_public_and_matches_the_document(
        api_client: Callable[..., ApiClient]) -> None:
    client = api_client(None)
    response = await client.get("/v1/status")
    assert response.status == 200
    assert set(response.body["chains"]) == {"bsc", "solana"}
    doc = (await client.get("/v1/openapi.json")).body
    validator("Status", doc).validate(response.body)
    assert doc["paths"]["/v1/status"]["get"]["security"] == []


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_in_the_prometheus_format_with_bounded_route_labels(
        app_server: RunningApp, api_client: Callable[..., ApiClient]) -> None:
    client = api_client(None)
    for _ in range(2):
        await client.get("/v1/invoices/inv_doesnotexist0000000000")
    async with client.session.get(f"{app_server.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        found = samples(await response.text())
    # The raw id never becomes a label: the route's canonical path does.
    key = ("ccp_http_requests_total",
           (("method", "GET"), ("route", "/v1/invoices/{id}"), ("status", "401")))
    assert found[key] >= 2
    assert not any("inv_doesnotexist" in str(labels) for _, labels in found)
    assert ("ccp_http_request_duration_seconds_count",
            (("method", "GET"), ("route", "/v1/invoices/{id}"))) in found
    for chain in ("bsc", "solana"):
        states = {state: found[("ccp_chain_state", (("chain", chain), ("state", state)))]
                  for state in ("live", "lagging", "halted")}
        assert sum(states.values()) == 1
        assert ("ccp_chain_transfers_total", (("chain", chain),)) in found
        assert ("ccp_refunds_waiting_for_funds", (("chain", chain),)) in found
    assert ("ccp_open_invoices", (("status", "new"),)) in found
    assert ("ccp_webhook_queue_depth", ()) in found
