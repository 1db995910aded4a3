"""Which webhook URLs may be called: no requests into the operator's own networks (SSRF).

Outside dev an endpoint URL must be `https` and every address its host resolves to must be a
public unicast address. Refused: loopback, private (RFC 1918, ULA), link-local, CGNAT
(100.64.0.0/10), unspecified, multicast, reserved/documentation ranges and the cloud metadata
addresses (169.254.169.254, fd00:ec2::254). IPv6 forms that embed an IPv4 address
(IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the
embedded IPv4 address. In dev, `http` and loopback/private hosts are allowed so a receiver on
the developer's machine works; metadata, link-local, multicast and unspecified stay refused.

The check runs when an endpoint is created and again at delivery time: `GuardedResolver` is
the resolver of the delivery HTTP client, so the address connected to is the one checked
(a DNS answer that changes between the two checks - DNS rebinding - cannot slip through).
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from gateway.webhooks.errors import UrlNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Awaitable[list[str]]]

MAX_URL_LENGTH: Final = 2048
METADATA: Final = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")
# RFC 1918 and IPv6 unique-local: the "private networks" a dev receiver may live in. Python's
# `is_private` is broader (documentation, benchmarking ranges...); those count as reserved.
PRIVATE: Final = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
NAT64: Final = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class UrlPolicy:
    """`dev=True` allows http and loopback/private hosts (a receiver on the laptop)."""

    dev: bool

    @property
    def schemes(self) -> tuple[str, ...]:
        return ("http", "https") if self.dev else ("https",)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(ip: IPAddress) -> str | None:
    """Why an address is special ("loopback", "private", ...), None for public unicast."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return classify(inner)
    checks: tuple[tuple[bool, str], ...] = (
        (ip in METADATA, "metadata"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT, "cgnat"),
        (any(ip in net for net in PRIVATE), "private"),
        (not ip.is_global, "reserved"),
    )
    return next((reason for hit, reason in checks if hit), None)


def refusal(ip: IPAddress, policy: UrlPolicy) -> str | None:
    """The reason `ip` may not be called under `policy`, None when it may."""
    reason = classify(ip)
    if reason in ("loopback", "private", "cgnat") and policy.dev:
        return None
    return reason


def check_address(host: str, address: str, policy: UrlPolicy) -> None:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError as exc:
        raise UrlNotAllowed(f"{host} resolved to an unparsable address {address!r}") from exc
    reason = refusal(ip, policy)
    if reason is not None:
        raise UrlNotAllowed(f"{host} resolves to {ip}, a {reason} address")


@dataclass(frozen=True)
class ParsedUrl:
    url: str
    host: str
    port: int
    literal: IPAddress | None


def _check_domain_name(host: str) -> None:
    # The resolver encodes the name with IDNA and raises UnicodeError (a 500) where it cannot:
    # a control character, an empty or over-long label.
    try:
        host.encode("idna")
    except UnicodeError as exc:
        raise UrlNotAllowed(f"the URL's host is not a valid domain name: {exc}") from exc


def parse_url(url: str, policy: UrlPolicy) -> ParsedUrl:
    """Syntax and scheme checks; raises `UrlNotAllowed`."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlNotAllowed(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlNotAllowed(f"the URL is malformed: {exc}") from exc
    if parts.scheme not in policy.schemes:
        raise UrlNotAllowed(f"the URL must use {' or '.join(policy.schemes)}")
    host = parts.hostname
    if not host:
        raise UrlNotAllowed("the URL has no host")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
        _check_domain_name(host)
    default_port = 443 if parts.scheme == "https" else 80
    return ParsedUrl(url=url, host=host, port=port or default_port, literal=literal)


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver returns for `host` (v4 and v6)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UrlNotAllowed(f"{host} does not resolve: {exc}") from exc
    return [str(info[4][0]) for info in infos]


def check_static(url: str, policy: UrlPolicy) -> ParsedUrl:
    """Everything that needs no DNS: syntax, scheme and an IP-literal host."""
    parsed = parse_url(url, policy)
    if parsed.literal is not None:
        check_address(parsed.host, str(parsed.literal), policy)
    return parsed


async def check_url(url: str, policy: UrlPolicy, resolve: Resolve = system_resolve) -> None:
    """Raise `UrlNotAllowed` unless `url` may receive webhooks; checks every resolved address."""
    parsed = check_static(url, policy)
    if parsed.literal is not None:
        return
    addresses = await resolve(parsed.host, parsed.port)
    if not addresses:
        raise UrlNotAllowed(f"{parsed.host} does not resolve to any address")
    for address in addresses:
        check_address(parsed.host, address, policy)


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that refuses hosts resolving to any address the policy forbids.

    aiohttp does not call the resolver for IP-literal hosts, so the worker checks literals with
    `check_static` before each request as well.
    """

    def __init__(self, policy: UrlPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        for result in results:
            try:
                check_address(host, result["host"], self.policy)
            except UrlNotAllowed as exc:
                # aiohttp turns an OSError from a resolver into ClientConnectorDNSError, which
                # the worker records as a failed attempt; strerror carries our reason.
                raise OSError(errno.EACCES, exc.message) from exc
        return results

    async def close(self) -> None:
        await self.inner.close()
