"""QR codes for payment URIs, as SVG and PNG, plus a bounded LRU cache to serve them lazily.

Error correction M (15 %) survives a scratched phone screen or a printed sticker without
making the code much denser; the quiet zone is the 4 modules ISO/IEC 18004 requires.
Rendering costs milliseconds, so it never runs on the invoice-create path: the API renders
on first request and caches by (uri, format).
"""

from __future__ import annotations

import io
import threading
from typing import Literal

import qrcode
import qrcode.constants
import qrcode.image.svg
from cachetools import LRUCache

from gateway.payments.errors import PaymentRequestError

QrFormat = Literal["svg", "png"]
FORMATS: tuple[QrFormat, ...] = ("svg", "png")
CONTENT_TYPES: dict[QrFormat, str] = {"svg": "image/svg+xml", "png": "image/png"}
QUIET_ZONE_MODULES = 4
PNG_BOX_PIXELS = 8
# Byte-mode capacity of a version-40 code at level M; longer data cannot be encoded.
MAX_DATA_BYTES = 2331


def _code(data: str, box_size: int) -> qrcode.QRCode:
    if not data:
        raise PaymentRequestError("QR data must not be empty")
    if len(data.encode("utf-8")) > MAX_DATA_BYTES:
        raise PaymentRequestError(f"QR data is longer than {MAX_DATA_BYTES} bytes")
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=QUIET_ZONE_MODULES,
    )
    code.add_data(data)
    code.make(fit=True)
    return code


def render_svg(data: str) -> bytes:
    """A standalone SVG document (one path, scales to any size) encoding `data`."""
    image = _code(data, box_size=10).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def render_png(data: str, *, box_pixels: int = PNG_BOX_PIXELS) -> bytes:
    """A black-on-white PNG encoding `data`, `box_pixels` per module."""
    image = _code(data, box_size=box_pixels).make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


_RENDERERS = {"svg": render_svg, "png": render_png}


class QrCache:
    """Bounded LRU of rendered QR images keyed by (uri, format).

    A lock makes it safe to fill from worker threads (`asyncio.to_thread(cache.get, ...)`),
    which keeps the millisecond renders off the event loop.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._items: LRUCache[tuple[str, QrFormat], bytes] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def _lookup(self, key: tuple[str, QrFormat]) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self.hits += 1
            return found

    def _store(self, key: tuple[str, QrFormat], image: bytes) -> None:
        with self._lock:
            self.misses += 1
            self._items[key] = image

    def get(self, uri: str, fmt: QrFormat) -> bytes:
        """The rendered image of `uri` in `fmt`, rendering and caching it on a miss."""
        if fmt not in _RENDERERS:
            raise PaymentRequestError(f"QR format must be one of {', '.join(FORMATS)}")
        key = (uri, fmt)
        found = self._lookup(key)
        if found is not None:
            return found
        # Rendered outside the lock: two threads may render the same miss; both results are equal.
        image = _RENDERERS[fmt](uri)
        self._store(key, image)
        return image
