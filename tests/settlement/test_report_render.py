"""Reports never run what a caller typed: no PDF markup, no spreadsheet formulas; pages show
the same figures as people read them."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from settlement.reports.render import (
    ReportTable,
    csv_cell,
    pdf_text,
    readable_rows,
    summary_table,
    tiyn_of,
    to_csv,
    to_pdf,
)
from settlement.reports.service import SummaryRow

HOSTILE = ("<b>x", '<img src="/etc/hostname"/>', '<img src="/no/such/file.png"/>',
           "<link href='file:///etc/passwd'>x</link>", "a & b </para>")


@pytest.mark.parametrize("text", HOSTILE)
def test_pdf_draws_markup_as_text(text: str) -> None:
    table = ReportTable(title=f"Statement {text}", columns=("line", text),
                        rows=[(text, 1)], notes=(f"batch {text}",))
    pdf = to_pdf(table)  # raised (bad markup, missing image file) before escaping
    assert pdf.startswith(b"%PDF")
    assert b"/Subtype /Image" not in pdf


def test_pdf_text_escapes_markup() -> None:
    assert pdf_text('<img src="/etc/hostname"/> & <b>') == (
        '&lt;img src="/etc/hostname"/&gt; &amp; &lt;b&gt;')


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1+A1", "@SUM(A1)", "\tx", "\rx",
                                  "=HYPERLINK(\"http://evil\")", "-", "-x"])
def test_formula_cells_get_a_leading_apostrophe(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.50", "-3", "12.00", "batch bat_1", "", 7, -7])
def test_data_cells_are_unchanged(cell: str | int) -> None:
    assert csv_cell(cell) == cell


def test_csv_export_neutralises_every_cell() -> None:
    table = ReportTable(title="t", columns=("=a", "b"),
                        rows=[("=cmd|' /C calc'!A0", "-10.00"), ("@x", 5)])
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert rows == [["'=a", "b"], ["'=cmd|' /C calc'!A0", "-10.00"], ["'@x", "5"]]


def test_readable_rows_show_tenge_and_coins_as_people_read_them() -> None:
    table = summary_table([SummaryRow(date(2026, 3, 9), "bsc", "USDT", 2, 500 * 10**18,
                                      25_000_000, 375_000, -1_205)], "zone")
    shown = readable_rows(table, kzt=lambda t: f"<{t}>",
                          units=lambda n, code: f"[{n} {code}]")
    assert shown == [("2026-03-09", "bsc", "USDT", "2", f"[{500 * 10**18} bsc:USDT]",
                      "<25000000>", "<375000>", "<-1205>", "0", "[0 bsc:USDT]", "<0>"),
                     ("total", "", "", "2", "", "<25000000>", "<375000>", "<-1205>", "0", "",
                      "<0>")]
    assert to_csv(table).splitlines()[1].endswith(",250000.00,3750.00,-12.05,0,0,0.00")
    assert [tiyn_of(t) for t in ("0.00", "-0.05", "1234.5", "-12")] == [0, -5, 123450, -1200]
