"""QR rendering: PNGs decode back to the exact URI; SVGs are XML; the cache is a bounded LRU."""

from __future__ import annotations

import asyncio
import io
from xml.etree import ElementTree

import pytest
import zxingcpp
from PIL import Image

from gateway.payments.errors import PaymentRequestError
from gateway.payments.qr import QrCache, render_png, render_svg
from gateway.payments.uri import eip681_token, solana_pay

# zxing also finds phantom 1D codes in QR modules; ask for QR codes only.
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
SOLANA_URI = solana_pay(
    "mvines9iiHiQTysrwkJjGf2gb9Ex9jXJX8ns3qwf2kN",
    "1234.567891",
    spl_token="EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    reference="82ZJ7nbGpixjeDCmEhUcmwXYfvurzAgGdtSMuHnUgyny",
    label="Дүкен «Алма»",
    message="Заказ №42",
)
BSC_URI = eip681_token(
    "0x55d398326f99059fF775485246999027B3197955",
    "0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
    10**30,
)


def _decode(png: bytes) -> str:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    found = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    assert len(found) == 1
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    text: str = found[0].text
    return text


@pytest.mark.parametrize("uri", [SOLANA_URI, BSC_URI])
def test_png_decodes_to_the_exact_uri(uri: str) -> None:
    assert _decode(render_png(uri)) == uri


def test_svg_is_standalone_xml() -> None:
    svg = render_svg(SOLANA_URI)
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")
    assert svg.startswith(b"<?xml")


def test_empty_and_oversized_data_are_refused() -> None:
    with pytest.raises(PaymentRequestError):
        render_png("")
    with pytest.raises(PaymentRequestError):
        render_svg("x" * 3000)


def test_cache_hits_and_evicts_least_recently_used() -> None:
    cache = QrCache(max_entries=2)
    first = cache.get("a", "png")
    assert cache.get("a", "png") is first
    cache.get("a", "svg")
    cache.get("a", "png")  # touch: ("a", "svg") is now the oldest
    cache.get("b", "png")
    assert len(cache) == 2
    assert (cache.hits, cache.misses) == (2, 3)
    cache.get("a", "svg")
    assert cache.misses == 4


def test_cache_refuses_unknown_format_and_bad_size() -> None:
    with pytest.raises(PaymentRequestError):
        QrCache().get("a", "gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        QrCache(0)


async def test_cache_can_be_filled_from_worker_threads() -> None:
    cache = QrCache(max_entries=8)
    images = await asyncio.gather(
        *(asyncio.to_thread(cache.get, f"solana:x{i % 3}", "png") for i in range(9))
    )
    assert len(cache) == 3
    assert images[0] == images[3] == images[6]
