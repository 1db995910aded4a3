"""Abuse limits on the public, unauthenticated pages: a token bucket per client address for
`/pay/...` (pages, panels, live streams), `/qr/...` images and the refund claim page
`/refunds/claim/...` (PUBLIC_RATE_LIMIT/s, bursts of
PUBLIC_RATE_BURST), and caps on open public live streams, per address and per process
(LIVE_MAX_STREAMS_PER_ADDRESS, LIVE_MAX_PUBLIC_STREAMS). Per process, like the API key
buckets (gateway.http.ratelimit)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Final

from aiohttp import web

from gateway.appkeys import SETTINGS
from gateway.errors import RateLimited, ServiceUnavailable
from gateway.http.ratelimit import TokenBuckets
from gateway.log import get_logger

log = get_logger(__name__)
PUBLIC_PREFIXES: Final = ("/pay/", "/qr/", "/refunds/claim/")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class StreamSlots:
    """Open public streams, counted per client address and in total."""

    def __init__(self, total: int, per_address: int) -> None:
        self.total, self.per_address = total, per_address
        self._open: dict[str, int] = {}

    @property
    def open_count(self) -> int:
        return sum(self._open.values())

    @contextmanager
    def hold(self, address: str) -> Iterator[None]:
        if self._open.get(address, 0) >= self.per_address:
            raise RateLimited("Too many live streams open from this address; close one "
                              "first.", retry_after=5)
        if self.open_count >= self.total:
            raise ServiceUnavailable("Too many live streams open; try again shortly.")
        self._open[address] = self._open.get(address, 0) + 1
        try:
            yield
        finally:
            left = self._open[address] - 1
            if left:
                self._open[address] = left
            else:
                del self._open[address]


PUBLIC_BUCKETS = web.AppKey("public_buckets", TokenBuckets)
STREAM_SLOTS = web.AppKey("public_stream_slots", StreamSlots)


def client_address(request: web.Request) -> str:
    return request.remote or "-"


@web.middleware
async def public_throttle_middleware(request: web.Request,
                                     handler: Handler) -> web.StreamResponse:
    if request.path.startswith(PUBLIC_PREFIXES):
        wait = request.app[PUBLIC_BUCKETS].take(client_address(request))
        if wait is not None:
            log.warning("public_rate_limited", client_ip=client_address(request),
                        path=request.path)
            raise RateLimited("Too many requests from this address; slow down.",
                              retry_after=wait)
    return await handler(request)


def setup_public_limits(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[PUBLIC_BUCKETS] = TokenBuckets(settings.checkout.rate_limit,
                                       settings.checkout.rate_burst)
    app[STREAM_SLOTS] = StreamSlots(settings.live.max_public_streams,
                                    settings.live.max_streams_per_address)
