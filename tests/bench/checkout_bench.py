"""How small and fast the checkout page is.

    .venv/bin/python -m tests.bench.checkout_bench [--invoices 100] [--seconds 5]
                                                    [--concurrency 16] [--browser]

A fresh migrated database (DATABASE_URL's server, else a temporary embedded cluster), the
real app in this process on a free port, `--invoices` invoices created over the API (all
seven assets). Measured:
- first view of each invoice (the QR code is rendered: a cache miss), one at a time;
- repeat views (QR cached) from `--concurrency` clients for `--seconds`: throughput, p50/p99;
- bytes on the wire: the page (raw and gzip), the CSS and JS;
- with `--browser`: headless Chromium at 360x740 loading the page, DOMContentLoaded and load.
The load generator shares the process (and the 2 shared cores) with the server, so the
figures are a floor, and noisy while other work runs. Writes bench-results/checkout.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from gateway.db.pool import create_pool
from gateway.log import configure_logging
from gateway.merchants import service
from gateway.merchants.service import MerchantInput
from tests.bench.support import bench_database
from tests.plugins.app import TEST_IBAN, running_app, settings_for_tests
from tests.plugins.browser import CHROMIUM, CHROMIUM_ARGS

RESULTS = Path("bench-results") / "checkout.json"
BODY = {"amount": 1_234_550, "currency": "KZT", "order_id": "bench", "description": "bench"}


@dataclass
class Latency:
    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float


def _latency(name: str, samples: list[float], seconds: float) -> Latency:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Latency(name, len(samples), round(seconds, 2), round(len(samples) / seconds, 1),
                   round(statistics.median(ordered) * 1000, 2), round(p99 * 1000, 2))


async def _api_key(dsn: str, pepper: str) -> str:
    pool = await create_pool(dsn, max_size=2)
    try:
        async with pool.acquire() as conn:
            merchant = await service.create_merchant(conn, MerchantInput(
                name="Bench coffee", bin="990340000014", iban=TEST_IBAN))
            return (await service.issue_api_key(conn, merchant.id, pepper)).secret
    finally:
        await pool.close()


async def _invoices(session: aiohttp.ClientSession, url: str, key: str, count: int) -> list[str]:
    urls = []
    for n in range(count):
        async with session.post(f"{url}/v1/invoices", json=BODY, headers={
                "Authorization": f"Bearer {key}", "Idempotency-Key": f"bench-{n}"}) as resp:
            urls.append(str((await resp.json())["checkout_url"]))
    return urls


async def _get(session: aiohttp.ClientSession, url: str) -> float:
    started = time.perf_counter()
    async with session.get(url, headers={"Accept-Language": "ru"}) as resp:
        await resp.read()
        assert resp.status == 200, resp.status
    return time.perf_counter() - started


async def _first_views(session: aiohttp.ClientSession, urls: list[str]) -> Latency:
    started = time.perf_counter()
    samples = [await _get(session, url) for url in urls]
    return _latency("first view (QR rendered)", samples, time.perf_counter() - started)


async def _repeat_views(session: aiohttp.ClientSession, urls: list[str], seconds: float,
                        concurrency: int) -> Latency:
    samples: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        n = offset
        while time.perf_counter() < deadline:
            samples.append(await _get(session, urls[n % len(urls)]))
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return _latency("repeat view (QR cached)", samples, time.perf_counter() - started)


async def _sizes(session: aiohttp.ClientSession, base: str, page_url: str) -> dict[str, int]:
    async with session.get(page_url, headers={"Accept-Encoding": "identity"}) as resp:
        page = await resp.read()
    text = page.decode()
    sizes = {"page_bytes": len(page), "page_gzip_bytes": len(gzip.compress(page))}
    for name in ("checkout.css", "checkout.js"):
        start = text.index(f"/checkout/static/{name}")
        path = text[start:text.index('"', start)]
        async with session.get(base + path, headers={"Accept-Encoding": "identity"}) as resp:
            sizes[f"{name}_bytes"] = len(await resp.read())
    return sizes


async def _browser(urls: list[str]) -> dict[str, float]:
    from playwright.async_api import async_playwright

    loaded: list[float] = []
    ready: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=list(CHROMIUM_ARGS))
        page = await browser.new_page(viewport={"width": 360, "height": 740})
        for url in urls[:10]:
            await page.goto(url)
            timing: dict[str, Any] = await page.evaluate(
                "(() => { const t = performance.getEntriesByType('navigation')[0];"
                " return {dcl: t.domContentLoadedEventEnd, load: t.loadEventEnd}; })()")
            ready.append(float(timing["dcl"]))
            loaded.append(float(timing["load"]))
        await browser.close()
    return {"browser_dom_ready_ms_median": round(statistics.median(ready), 1),
            "browser_load_ms_median": round(statistics.median(loaded), 1)}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    async with bench_database("checkout_bench") as dsn:
        settings = settings_for_tests(dsn, Path(tempfile.mkdtemp(prefix="ccp-bench-")))
        async with running_app(settings) as app, aiohttp.ClientSession() as session:
            key = await _api_key(dsn, settings.api_key_pepper)
            urls = await _invoices(session, app.url, key, args.invoices)
            first = await _first_views(session, urls)
            repeat = await _repeat_views(session, urls, args.seconds, args.concurrency)
            result: dict[str, Any] = {
                "latency": [asdict(first), asdict(repeat)],
                **await _sizes(session, app.url, urls[0]),
            }
            if args.browser:
                result.update(await _browser(urls))
    return result


def _print(result: dict[str, Any]) -> None:
    print(f"{'':28} {'requests':>8} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for row in result["latency"]:
        print(f"{row['name']:28} {row['requests']:>8} {row['rps']:>8} {row['p50_ms']:>8} "
              f"{row['p99_ms']:>8}")
    for name, value in result.items():
        if name != "latency":
            print(f"{name}: {value}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--browser", action="store_true")
    configure_logging("console", "warning")
    outcome = asyncio.run(main(parser.parse_args()))
    _print(outcome)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(outcome, indent=2) + "\n")
