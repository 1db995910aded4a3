"""Headless Chromium through Playwright, for tests that drive real pages.

- `browser` (session): Debian's /usr/bin/chromium launched by Playwright (never a downloaded
  browser), headless, no sandbox, no network side traffic (QUIC, component updates, sync).
- `phone_page` (function): a fresh context at a 360x740 phone viewport (touch, DPR 2), with
  clipboard permissions, so each test starts with no cookies or storage of another.
- `screenshot_dir`: a temp dir, or docs/img/ (the user guide's pictures) when
  SCREENSHOTS_TO_DOCS=1.

Browser console errors and failed page scripts are collected on `page.errors` by
`watch_errors(page)` so a test can assert the page ran cleanly (e.g. no CSP violation).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, ViewportSize, async_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
PHONE_VIEWPORT: ViewportSize = {"width": 360, "height": 740}
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


class PageErrors:
    """Console errors and uncaught exceptions seen on one page."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append(f"console: {message.text}")

    def page_error(self, error: Any) -> None:
        self.messages.append(f"pageerror: {error}")


def watch_errors(page: Page) -> PageErrors:
    errors = PageErrors()
    page.on("console", errors.console)
    page.on("pageerror", errors.page_error)
    return errors


@pytest.fixture
async def phone_page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(
        viewport=PHONE_VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="en-US",
    )
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        await context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/img/ when SCREENSHOTS_TO_DOCS=1 (refreshing the user guide's pictures), else a temp
    dir: a test run must not rewrite tracked files."""
    if os.environ.get("SCREENSHOTS_TO_DOCS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        return DOCS_IMG
    return tmp_path_factory.mktemp("screenshots")
