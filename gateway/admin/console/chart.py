"""The zone summary's chart: daily KZT volume by asset as inline SVG bars, built on the server.

No chart library and no script: the page's CSP forbids both, and an SVG of a few dozen
rectangles is cheaper than either. Bar heights use integer arithmetic on tiyn (no float near
money); every text in the SVG is escaped here because the result is inserted as markup.

Readable on a laptop: the SVG is as wide as the panel (viewBox, scaled by CSS), with a value
axis (ticks at quarters of the highest day, in whole tenge, and grid lines), a day axis
(business days, thinned when there are many), the value above each bar when the bars are
wide enough for it (always in the bar's tooltip and in the table below), and a legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Final

from markupsafe import Markup

from gateway.admin.console.formatting import kzt
from gateway.checkout.formatting import group_thousands
from settlement.reports.service import SummaryRow

WIDTH: Final = 960              # viewBox width; CSS scales it to the panel
PLOT_HEIGHT: Final = 260
LEFT: Final = 96                # room for the value axis' labels
RIGHT: Final = 16
TOP: Final = 40
AXIS_SPACE: Final = 44          # day labels and the axis title under the plot
LEGEND_ROW: Final = 22
TICKS: Final = 4                # grid lines at 1/4, 1/2, 3/4 and all of the highest day
MAX_BAR: Final = 48
MIN_LABELLED_BAR: Final = 30    # narrower bars carry their value in the tooltip only
MAX_DAY_LABELS: Final = 16
FONT: Final = 'font-family="system-ui, sans-serif"'
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


def whole_tenge(tiyn: int) -> str:
    """An axis or bar label of a volume (0 or more): whole tenge, rounded half up, thin-space
    groups and the sign ("250 000 ₸")."""
    return f"{group_thousands(str((tiyn + 50) // 100))}\u00a0₸"


def _value_axis(peak: int, plot_width: int) -> list[str]:
    parts = []
    for i in range(TICKS + 1):
        y = TOP + PLOT_HEIGHT - PLOT_HEIGHT * i // TICKS
        value = peak * i // TICKS
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + plot_width}" y2="{y}" '
                     f'stroke="{"#888" if i == 0 else "#e3e6ea"}"></line>'
                     f'<text x="{LEFT - 8}" y="{y + 4}" font-size="12" text-anchor="end" '
                     f'{FONT}>{escape(whole_tenge(value))}</text>')
    parts.append(f'<text x="{LEFT}" y="{TOP - 16}" font-size="12" {FONT}>'
                 "KZT volume per day (tenge at the locked rates)</text>")
    return parts


def _bars(days: list[date], assets: list[str], totals: dict[tuple[date, str], int],
          peak: int, plot_width: int) -> list[str]:
    parts: list[str] = []
    group = plot_width // len(days)
    bar = max(min(MAX_BAR, group * 4 // 5 // len(assets)), 2)
    every = -(-len(days) // MAX_DAY_LABELS)  # ceil: at most MAX_DAY_LABELS day labels
    for i, day in enumerate(days):
        x0 = LEFT + i * group + (group - bar * len(assets)) // 2
        for j, asset in enumerate(assets):
            value = max(totals.get((day, asset), 0), 0)
            height = value * PLOT_HEIGHT // peak
            if height == 0 and value > 0:
                height = 1  # a tiny day is still visible
            x, y = x0 + j * bar, TOP + PLOT_HEIGHT - height
            label = escape(f"{day.isoformat()} {asset}: {kzt(value)}")
            parts.append(
                f'<rect x="{x}" y="{y}" width="{bar - 2}" '
                f'height="{height}" fill="{PALETTE[j % len(PALETTE)]}" '
                f'data-asset="{escape(asset)}" data-day="{day.isoformat()}">'
                f"<title>{label}</title></rect>")
            if value > 0 and bar >= MIN_LABELLED_BAR:
                parts.append(f'<text x="{x + (bar - 2) // 2}" y="{y - 4}" font-size="11" '
                             f'text-anchor="middle" {FONT}>{escape(whole_tenge(value))}'
                             "</text>")
        if i % every == 0:
            parts.append(f'<text x="{LEFT + i * group + group // 2}" '
                         f'y="{TOP + PLOT_HEIGHT + 18}" font-size="12" text-anchor="middle" '
                         f"{FONT}>{day.isoformat()}</text>")
    parts.append(f'<text x="{LEFT + plot_width // 2}" y="{TOP + PLOT_HEIGHT + 38}" '
                 f'font-size="12" text-anchor="middle" fill="#5b6675" {FONT}>'
                 "business day</text>")
    return parts


def _legend(assets: list[str], y: int) -> list[str]:
    parts = []
    for j, asset in enumerate(assets):
        x = LEFT + (j % 4) * 200
        row_y = y + (j // 4) * LEGEND_ROW
        parts.append(f'<rect x="{x}" y="{row_y}" width="14" height="14" '
                     f'fill="{PALETTE[j % len(PALETTE)]}"></rect>'
                     f'<text x="{x + 20}" y="{row_y + 12}" font-size="13" {FONT}>'
                     f"{escape(asset)}</text>")
    return parts


def volume_chart(rows: Sequence[SummaryRow]) -> Markup:
    """An <svg> of grouped bars (one group per day, one bar per asset); empty markup when
    there is nothing to draw."""
    days, assets, totals = volumes(rows)
    peak = max((v for v in totals.values() if v > 0), default=0)
    if not days or peak == 0:
        return Markup("")
    plot_width = WIDTH - LEFT - RIGHT
    legend_y = TOP + PLOT_HEIGHT + AXIS_SPACE + 8
    height = legend_y + -(-len(assets) // 4) * LEGEND_ROW
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="100%" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="Daily KZT volume by asset, highest day {escape(kzt(peak))}">',
        *_value_axis(peak, plot_width),
        *_bars(days, assets, totals, peak, plot_width),
        *_legend(assets, legend_y),
        "</svg>",
    ]
    return Markup("".join(parts))  # every text above went through escape()
