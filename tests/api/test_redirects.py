"""redirect_url may only name the merchant's allowed redirect domains (no open redirect)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from gateway.cli import main
from gateway.errors import InvalidRequest
from gateway.invoices.redirects import check_redirect_url, host_allowed
from gateway.merchants import service
from gateway.merchants.errors import InvalidMerchant
from tests.api.helpers import assert_error, invoice_body
from tests.plugins.app import ApiClient

DOMAINS = ("shop.kz", "*.shop.kz")


@pytest.mark.parametrize(("host", "allowed"), [
    ("shop.kz", True), ("pay.shop.kz", True), ("a.b.shop.kz", True),
    ("evil.kz", False), ("shop.kz.evil.kz", False), ("evilshop.kz", False),
])
def test_hosts_match_exactly_or_as_wildcard_subdomains(host: str, allowed: bool) -> None:
    assert host_allowed(host, DOMAINS) is allowed
    assert host_allowed("pay.shop.kz", ("shop.kz",)) is False  # no wildcard, no subdomains


@pytest.mark.parametrize(("url", "domains", "dev", "ok"), [
    ("https://shop.kz/thanks", DOMAINS, False, True),
    ("https://SHOP.kz./thanks", DOMAINS, False, True),
    ("http://shop.kz/thanks", DOMAINS, False, False),  # https outside dev
    ("http://shop.kz/thanks", DOMAINS, True, True),
    ("https://evil.kz/", DOMAINS, False, False),
    ("https://evil.kz/", DOMAINS, True, False),  # a configured list holds in dev too
    ("https://shop.kz@evil.kz/", DOMAINS, False, False),  # userinfo trick
    ("https://anything.kz/", None, True, True),  # dev without a list: anything
    ("https://anything.kz/", None, False, False),  # safe default: none until configured
    (None, None, False, True),
])
def test_redirect_rules(url: str | None, domains: tuple[str, ...] | None, dev: bool,
                        ok: bool) -> None:
    if ok:
        check_redirect_url(url, domains, dev=dev)
    else:
        with pytest.raises(InvalidRequest) as refused:
            check_redirect_url(url, domains, dev=dev)
        assert (refused.value.code, refused.value.param) == ("redirect_not_allowed",
                                                             "redirect_url")


def test_domains_are_normalized_or_refused() -> None:
    assert service.normalize_domain(" Shop.KZ. ") == "shop.kz"
    assert service.normalize_domain("*.Кофе.kz") == "*.xn--e1ajmy.kz"
    for bad in ("", "*.", "shop kz", "https://shop.kz", "shop.kz/x", "*.*.kz", "-a.kz"):
        with pytest.raises(InvalidMerchant):
            service.normalize_domain(bad)


async def test_foreign_redirect_url_is_refused_over_http(
        db_pool: asyncpg.Pool, make_merchant: Callable[..., Awaitable[str]],
        make_api_key: Callable[..., Awaitable[str]],
        api_client: Callable[..., ApiClient]) -> None:
    merchant_id = await make_merchant()
    async with db_pool.acquire() as conn:
        assert await service.set_redirect_domains(conn, merchant_id, list(DOMAINS)) == [
            "*.shop.kz", "shop.kz"]
    client = api_client(await make_api_key(merchant_id))
    resp = await client.post("/v1/invoices", invoice_body(redirect_url="https://evil.kz/x"))
    assert_error(resp, 400, "redirect_not_allowed", "redirect_url")
    resp = await client.post("/v1/invoices",
                             invoice_body(redirect_url="https://pay.shop.kz/done"))
    assert resp.status == 200, resp.body
    assert resp.body["redirect_url"] == "https://pay.shop.kz/done"


async def test_cli_sets_and_clears_redirect_domains(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str,
        db_pool: asyncpg.Pool, make_merchant: Callable[..., Awaitable[str]]) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GATEWAY_LOG_LEVEL", "warning")
    merchant_id = await make_merchant()
    query = "SELECT redirect_domains FROM merchants WHERE id = $1"
    argv = ["merchant", "redirect-domains", merchant_id]
    assert await asyncio.to_thread(main, [*argv, "Shop.kz", "*.shop.kz"]) == 0
    assert "shop.kz" in capsys.readouterr().out
    assert await db_pool.fetchval(query, merchant_id) == ["*.shop.kz", "shop.kz"]
    assert await asyncio.to_thread(main, [*argv, "--clear"]) == 0
    assert await db_pool.fetchval(query, merchant_id) is None
    assert await asyncio.to_thread(main, argv) == 2
