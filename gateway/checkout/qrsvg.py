"""The payment QR code as inline SVG markup for the checkout page.

Rendered by `gateway.payments.qr.render_svg` (the same encoder as `/qr/<token>.svg`) and
reshaped for inlining: no XML declaration, no fixed millimetre size (CSS sizes it), no element
ids (two codes on a page must not clash), crisp edges so scaled modules stay sharp for camera
decoding. The result is cached per URI: a page view re-renders nothing it has seen, and the
invoice-create path never renders at all.

Inlining (instead of an <img>) shows the code in the first response, with no second request
that a flaky shop Wi-Fi could lose.
"""

from __future__ import annotations

import asyncio
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape

from cachetools import LRUCache

from gateway.checkout.errors import QrMarkupError
from gateway.payments.qr import render_svg

SVG_NS = "{http://www.w3.org/2000/svg}"
CACHE_ENTRIES = 1024


@dataclass(frozen=True)
class QrMarkup:
    view_box: str
    body: str  # the SVG's children, namespace-free, ready to sit inside an inline <svg>


def _plain(element: ET.Element) -> ET.Element:
    for node in element.iter():
        node.tag = node.tag.removeprefix(SVG_NS)
        node.attrib.pop("id", None)
    return element


def qr_markup(uri: str) -> QrMarkup:
    """The QR code of `uri`, rendered now (milliseconds: run it in a worker thread)."""
    try:
        root = ET.fromstring(render_svg(uri))
    except ET.ParseError as exc:
        raise QrMarkupError("render_svg returned malformed SVG") from exc
    view_box = root.get("viewBox")
    if root.tag != f"{SVG_NS}svg" or not view_box:
        raise QrMarkupError("render_svg returned an SVG without a viewBox")
    body = "".join(ET.tostring(_plain(child), encoding="unicode") for child in root)
    return QrMarkup(view_box, body)


def inline_svg(markup: QrMarkup, label: str) -> str:
    """An accessible inline <svg>: role img, named by aria-label and a <title>."""
    name, view_box = escape(label), escape(markup.view_box)
    return (
        f'<svg class="qr-code" xmlns="http://www.w3.org/2000/svg" viewBox="{view_box}"'
        f' role="img" aria-label="{name}" shape-rendering="crispEdges" focusable="false">'
        f"<title>{name}</title>{markup.body}</svg>"
    )


class QrMarkupCache:
    """Bounded LRU of QrMarkup by URI; a hit costs no thread hop, a miss renders in a thread."""

    def __init__(self, max_entries: int = CACHE_ENTRIES) -> None:
        self.max_entries = max_entries
        self._items: LRUCache[str, QrMarkup] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def peek(self, uri: str) -> QrMarkup | None:
        with self._lock:
            return self._items.get(uri)

    def _store(self, uri: str, markup: QrMarkup) -> None:
        with self._lock:
            self._items[uri] = markup

    async def get(self, uri: str) -> QrMarkup:
        found = self.peek(uri)
        if found is None:
            # Two concurrent misses may both render; the results are identical.
            found = await asyncio.to_thread(qr_markup, uri)
            self._store(uri, found)
        return found
