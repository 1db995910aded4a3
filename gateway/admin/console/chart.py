"""The zone summary's chart: daily KZT volume by asset as inline SVG bars, built on the server.

No chart library and no script: the page's CSP forbids both, and an SVG of a few dozen
rectangles is cheaper than either. Bar heights use integer arithmetic on tiyn (no float near
money); every text in the SVG is escaped here because the result is inserted as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Final

from markupsafe import Markup

from gateway.admin.console.formatting import kzt
from settlement.reports.service import SummaryRow

PLOT_HEIGHT: Final = 200
BAR_WIDTH: Final = 14
GROUP_GAP: Final = 12
LEFT: Final = 8
TOP: Final = 24
AXIS_SPACE: Final = 36
LEGEND_ROW: Final = 18
# Colour-blind-friendly palette (Okabe-Ito), one per asset in the order they first appear.
PALETTE: Final = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                  "#F0E442", "#000000")


def volumes(rows: Sequence[SummaryRow]) -> tuple[list[date], list[str], dict[tuple[date, str],
                                                                              int]]:
    """Days (ascending), asset codes (first seen first) and KZT volume per (day, asset)."""
    days = sorted({r.day for r in rows})
    assets = list(dict.fromkeys(f"{r.chain}:{r.asset}" for r in rows))
    totals: dict[tuple[date, str], int] = {}
    for r in rows:
        key = (r.day, f"{r.chain}:{r.asset}")
        totals[key] = totals.get(key, 0) + r.kzt_volume
    return days, assets, totals


def _bars(days: list[date], assets: list[str], totals: dict[tuple[date, str], int],
          peak: int) -> list[str]:
    parts: list[str] = []
    group = len(assets) * BAR_WIDTH + GROUP_GAP
    for i, day in enumerate(days):
        x0 = LEFT + i * group
        for j, asset in enumerate(assets):
            value = max(totals.get((day, asset), 0), 0)
            height = value * PLOT_HEIGHT // peak
            if height == 0 and value > 0:
                height = 1  # a tiny day is still visible
            y = TOP + PLOT_HEIGHT - height
            label = escape(f"{day.isoformat()} {asset}: {kzt(value)}")
            parts.append(
                f'<rect x="{x0 + j * BAR_WIDTH}" y="{y}" width="{BAR_WIDTH - 2}" '
                f'height="{height}" fill="{PALETTE[j % len(PALETTE)]}" '
                f'data-asset="{escape(asset)}" data-day="{day.isoformat()}">'
                f"<title>{label}</title></rect>")
        parts.append(f'<text x="{x0}" y="{TOP + PLOT_HEIGHT + 14}" font-size="10">'
                     f"{day.strftime('%m-%d')}</text>")
    return parts


def _legend(assets: list[str], y: int) -> list[str]:
    parts = []
    for j, asset in enumerate(assets):
        row_y = y + j * LEGEND_ROW
        parts.append(f'<rect x="{LEFT}" y="{row_y}" width="10" height="10" '
                     f'fill="{PALETTE[j % len(PALETTE)]}"></rect>'
                     f'<text x="{LEFT + 16}" y="{row_y + 9}" font-size="11">'
                     f"{escape(asset)}</text>")
    return parts


def volume_chart(rows: Sequence[SummaryRow]) -> Markup:
    """An <svg> of grouped bars (one group per day, one bar per asset); empty markup when
    there is nothing to draw."""
    days, assets, totals = volumes(rows)
    peak = max((v for v in totals.values() if v > 0), default=0)
    if not days or peak == 0:
        return Markup("")
    width = LEFT * 2 + len(days) * (len(assets) * BAR_WIDTH + GROUP_GAP)
    legend_y = TOP + PLOT_HEIGHT + AXIS_SPACE
    height = legend_y + len(assets) * LEGEND_ROW
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{max(width, 240)}" '
        f'height="{height}" viewBox="0 0 {max(width, 240)} {height}" role="img" '
        f'aria-label="Daily KZT volume by asset">',
        f'<text x="{LEFT}" y="14" font-size="11">max {escape(kzt(peak))} per asset and day'
        "</text>",
        f'<line x1="{LEFT}" y1="{TOP + PLOT_HEIGHT}" x2="{width - LEFT}" '
        f'y2="{TOP + PLOT_HEIGHT}" stroke="#888"></line>',
        *_bars(days, assets, totals, peak),
        *_legend(assets, legend_y),
        "</svg>",
    ]
    return Markup("".join(parts))  # every text above went through escape()
