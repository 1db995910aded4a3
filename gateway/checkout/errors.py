"""Checkout errors, under `GatewayError` (see gateway.errors for the whole tree).

    GatewayError
    └── CheckoutError              the checkout page could not be built
        ├── RemainderUriError      a stored payment URI could not be re-issued for a remainder
        └── QrMarkupError          the QR renderer's SVG did not have the expected shape

An unknown invoice is not an exception here: the page answers a 404 HTML page itself, since
the JSON error middleware's shape is for API clients, not shoppers.
"""

from __future__ import annotations

from gateway.errors import GatewayError


class CheckoutError(GatewayError):
    """The checkout page could not be built."""


class RemainderUriError(CheckoutError):
    """A payment option's URI could not be rebuilt for the remaining amount."""


class QrMarkupError(CheckoutError):
    """render_svg produced an SVG this module cannot inline."""
