"""Webhook URL rules: https outside dev, and no private, loopback, metadata... addresses."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from gateway.webhooks.errors import UrlNotAllowed
from gateway.webhooks.urlguard import GuardedResolver, UrlPolicy, check_url, classify

PROD, DEV = UrlPolicy(dev=False), UrlPolicy(dev=True)
DNS = {
    "shop.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "mixed.example": ["93.184.216.34", "10.1.2.3"],
    "v6private.example": ["2606:2800:220:1:248:1893:25c8:1946", "fd12::1"],
    "mapped.example": ["::ffff:192.168.1.1"],
}


async def fake_resolve(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise UrlNotAllowed(f"{host} does not resolve")
    return DNS[host]


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.5", "private"),
    ("172.16.3.4", "private"), ("192.168.0.1", "private"), ("fd12:3456::1", "private"),
    ("169.254.10.10", "link-local"), ("fe80::1", "link-local"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
    ("100.64.0.1", "cgnat"), ("100.127.255.254", "cgnat"), ("0.0.0.0", "unspecified"),
    ("::", "unspecified"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "metadata"),
    ("64:ff9b::a00:1", "private"), ("2002:c0a8:101::1", "private"),
    ("192.0.2.1", "reserved"), ("240.0.0.1", "reserved"),
    ("93.184.216.34", None), ("2606:2800:220:1:248:1893:25c8:1946", None),
])
def test_classify(address: str, reason: str | None) -> None:
    assert classify(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("url", [
    "http://93.184.216.34/hook",            # not https outside dev
    "https://127.0.0.1/hook", "https://[::1]:8443/hook", "https://10.0.0.1/",
    "https://169.254.169.254/latest/meta-data", "https://[fd00:ec2::254]/",
    "https://[::ffff:127.0.0.1]/", "https://100.64.1.1/", "https://0.0.0.0/",
    "https://mixed.example/hook",           # one private answer among public ones
    "https://v6private.example/hook", "https://mapped.example/hook",
    "https://nowhere.example/hook",         # does not resolve
    "ftp://shop.example/", "https:///nohost", "https://shop.example:99999/",
    "https://shop.example/" + "x" * 2100,
])
async def test_refused_outside_dev(url: str) -> None:
    with pytest.raises(UrlNotAllowed) as info:
        await check_url(url, PROD, fake_resolve)
    assert info.value.code == "url_not_allowed" and info.value.param == "url"


async def test_public_https_allowed_outside_dev() -> None:
    await check_url("https://shop.example/hooks/ccp", PROD, fake_resolve)
    await check_url("https://93.184.216.34:8443/hook", PROD, fake_resolve)


async def test_dev_allows_http_and_loopback_but_not_metadata() -> None:
    await check_url("http://127.0.0.1:8000/hook", DEV, fake_resolve)
    await check_url("http://10.0.0.7/hook", DEV, fake_resolve)
    await check_url("http://localhost:9/hook", DEV)  # the system resolver, /etc/hosts
    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://0.0.0.0/"):
        with pytest.raises(UrlNotAllowed):
            await check_url(url, DEV, fake_resolve)


async def test_localhost_refused_outside_dev() -> None:
    with pytest.raises(UrlNotAllowed, match="loopback"):
        await check_url("https://localhost/hook", PROD)


class Rebinding(AbstractResolver):
    """Answers a public address first, then a private one (DNS rebinding)."""

    def __init__(self) -> None:
        self.calls = 0

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        self.calls += 1
        address = "93.184.216.34" if self.calls == 1 else "10.0.0.8"
        return [ResolveResult(hostname=host, host=address, port=port, family=family,
                              proto=0, flags=0)]

    async def close(self) -> None:
        return None


async def test_guarded_resolver_checks_every_resolution() -> None:
    resolver = GuardedResolver(PROD, Rebinding())
    assert (await resolver.resolve("shop.example", 443))[0]["host"] == "93.184.216.34"
    with pytest.raises(OSError, match="private"):
        await resolver.resolve("shop.example", 443)
