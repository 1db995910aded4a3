"""Cursor pagination of /v1 list endpoints (Stripe style).

Query: `limit` (1..100, default 10) and `starting_after` (an object id: the page starts after
it, newest first). Answer: `{"object": "list", "url", "data": [...], "has_more"}`; the next
page is `starting_after=<id of the last item of data>`. Handlers fetch `limit + 1` rows so
`has_more` costs no extra query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.errors import InvalidRequest

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    limit: int
    starting_after: str | None

    @property
    def fetch(self) -> int:
        """Rows to fetch: one more than the page, to learn `has_more`."""
        return self.limit + 1


def parse_page(query: Mapping[str, str]) -> Page:
    raw = query.get("limit")
    limit = DEFAULT_LIMIT
    if raw is not None:
        if not raw.isascii() or not raw.isdigit():
            raise InvalidRequest("limit must be an integer.", code="invalid_type", param="limit")
        limit = int(raw)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}.",
                                 code="parameter_out_of_range", param="limit")
    cursor = query.get("starting_after") or None
    return Page(limit=limit, starting_after=cursor)


def envelope(url: str, items: Sequence[dict[str, Any]], page: Page) -> dict[str, Any]:
    """The list object for `items` fetched with `page.fetch` rows."""
    return list_object(url, list(items[: page.limit]), len(items) > page.limit)


def list_object(url: str, data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    """The one list shape of the API, for a page already cut to its limit."""
    return {"object": "list", "url": url, "data": data, "has_more": has_more}
