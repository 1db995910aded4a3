"""Security headers of every checkout response (page, fragment, static file, 404).

The page runs no inline script and loads nothing from elsewhere, so the policy can be
`default-src 'self'` with no 'unsafe-inline' anywhere: an injected <script> or style
attribute would simply not run. The JSON catalog block is data (type application/json), which
CSP does not execute. The wallet link (`ethereum:` / `solana:`) is a navigation, which CSP
does not restrict.
"""

from __future__ import annotations

from typing import Final

CONTENT_SECURITY_POLICY: Final = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The checkout URL names the invoice; nothing it links to needs to learn it.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
