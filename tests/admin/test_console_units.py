"""Pure parts of the admin console: the server-side chart, formatting (times in the zone's
business time zone), the audit snapshot."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from gateway.admin.audit import snapshot
from gateway.admin.console.chart import PLOT_HEIGHT, volume_chart
from gateway.admin.console.formatting import (
    ALMATY,
    amount_in,
    changes,
    kzt,
    timestamp,
    units,
    zone_label,
)
from settlement.reports.service import SummaryRow


def row(day: int, chain: str, asset: str, kzt_volume: int) -> SummaryRow:
    return SummaryRow(date(2024, 6, day), chain, asset, 1, 10**18, kzt_volume, 0, 0)


def test_chart_bars_scale_with_integer_volume_and_escape_text() -> None:
    svg = str(volume_chart([row(10, "bsc", "USDT", 400_000), row(10, "solana", "SOL", 100_000),
                            row(11, "bsc", "USDT", 200_000),
                            row(11, "x<script>", "A&B", 1)]))
    heights = {(m["asset"], m["day"]): int(m["h"]) for m in re.finditer(
        r'height="(?P<h>\d+)" fill="[^"]+" data-asset="(?P<asset>[^"]+)" '
        r'data-day="(?P<day>[^"]+)"', svg)}
    assert heights[("bsc:USDT", "2024-06-10")] == PLOT_HEIGHT
    assert heights[("solana:SOL", "2024-06-10")] == PLOT_HEIGHT // 4
    assert heights[("bsc:USDT", "2024-06-11")] == PLOT_HEIGHT // 2
    assert heights[("x&lt;script&gt;:A&amp;B", "2024-06-11")] == 1  # tiny but visible
    assert "<script>" not in svg
    assert str(volume_chart([])) == ""


def test_chart_has_a_value_axis_day_labels_and_values() -> None:
    svg = str(volume_chart([row(10, "bsc", "USDT", 25_000_000), row(11, "bsc", "USDT", 1_000)]))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    ticks = ["0\u00a0₸", "62\u2009500\u00a0₸", "125\u2009000\u00a0₸", "187\u2009500\u00a0₸",
             "250\u2009000\u00a0₸"]
    assert all(tick in texts for tick in ticks)  # the value axis, at quarters of the peak
    assert "2024-06-10" in texts and "2024-06-11" in texts  # the day axis
    assert texts.count("250\u2009000\u00a0₸") == 2 and "10\u00a0₸" in texts  # bar values
    assert 'width="100%"' in svg and "viewBox" in svg  # as wide as the panel
    many = str(volume_chart([row(d, "bsc", "USDT", 1_000 * d) for d in range(1, 29)]))
    assert len(re.findall(r">2024-06-\d\d<", many)) <= 16  # day labels thinned


def test_money_formatting_is_exact() -> None:
    assert kzt(123_456_789) == "1\u2009234\u2009567.89\u00a0₸"
    assert kzt(-5) == "-0.05\u00a0₸"
    assert units(1_500_000, "USDT_SOL") == "1.5 USDT"
    assert units(10**18 + 1, "bsc:BNB") == "1.000\u2009000\u2009000\u2009000\u2009000\u2009001 BNB"
    assert units(1_234_567 * 10**18, "bsc:USDT") == "1\u2009234\u2009567 USDT"
    assert amount_in(str(5 * 10**15), "bsc:BNB") == "0.005 BNB"  # reconciliation's text
    assert amount_in(-1_250, "KZT") == "-12.50\u00a0₸"
    assert amount_in("7", "nochain:XYZ") == "7" and amount_in(None, "KZT") == ""
    assert amount_in("5.1000E+20", "bsc:USDT") == "510 USDT"  # a stored JSON number
    assert amount_in("1.5", "KZT") == "1.5" and amount_in("n/a", "KZT") == "n/a"


def test_audit_snapshot_is_json_safe_and_drops_secrets() -> None:
    at = datetime(2024, 6, 11, 9, 30, tzinfo=UTC)
    out = snapshot({"at": at, "rate": Decimal("505.25"), "wei": 10**20, "key_hash": b"x" * 32,
                    "nested": [{"secret": "s", "n": 1}]})
    assert out == {"at": "2024-06-11T09:30:00+00:00", "rate": "505.25",
                   "wei": "100000000000000000000", "nested": [{"n": 1}]}


def test_changes_lists_only_differing_fields() -> None:
    assert changes({"a": 1, "b": "x"}, {"a": 1, "b": "y", "c": None}) == [("b", '"x"', '"y"')]
    assert changes(None, {"a": 1}) == []


def test_times_read_in_almaty_with_the_zone_named_once() -> None:
    at = datetime(2026, 3, 8, 19, 30, tzinfo=UTC)
    assert timestamp(at) == "2026-03-09 00:30:00"
    assert timestamp(date(2026, 3, 9)) == "2026-03-09"
    assert timestamp(at.isoformat()) == "2026-03-09 00:30:00"
    assert zone_label(ALMATY, at) == "Asia/Almaty (UTC+5)"
    assert zone_label(ZoneInfo("Asia/Kolkata"), at) == "Asia/Kolkata (UTC+5:30)"
