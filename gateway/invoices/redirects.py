"""Where a paid invoice may send the shopper: the merchant's allowed redirect domains.

Without a check, `redirect_url` makes our checkout page an open redirect: a link on our domain
that ends on any site an attacker names. So the URL's host must be one the merchant declared
(`python -m gateway merchant redirect-domains mch_… shop.kz '*.shop.kz'`): an entry matches its
host exactly, `*.shop.kz` matches every subdomain of shop.kz (not shop.kz itself). Outside dev
the URL must be https.

The default, a merchant with no list, is the safe one: outside dev every redirect_url is
refused (400 `redirect_not_allowed`) until the merchant's domains are configured; the checkout
page then simply stays on its "paid" view. In dev (GATEWAY_ENV=dev) any http(s) host is
accepted so local shops work without setup.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from gateway.errors import InvalidRequest

WILDCARD = "*."


def host_allowed(host: str, domains: Sequence[str]) -> bool:
    """True when `host` (lower-case) is a listed host or a subdomain of a `*.` entry."""
    for domain in domains:
        if domain.startswith(WILDCARD):
            if host.endswith("." + domain.removeprefix(WILDCARD)):
                return True
        elif host == domain:
            return True
    return False


def _refuse(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="redirect_not_allowed", param="redirect_url")


def check_redirect_url(url: str | None, domains: Sequence[str] | None, *, dev: bool) -> None:
    """Raise 400 `redirect_not_allowed` unless `url` may be used as the invoice's redirect."""
    if url is None:
        return
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if not dev and parts.scheme != "https":
        raise _refuse("redirect_url must be an https URL.")
    if domains is None:
        if dev:
            return
        raise _refuse("This merchant has no allowed redirect domains; ask the operator to "
                      "configure them before sending redirect_url.")
    if not host_allowed(host, domains):
        raise _refuse(f"redirect_url host {host} is not one of the merchant's allowed "
                      "redirect domains.")
