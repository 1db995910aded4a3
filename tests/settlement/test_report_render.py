"""Reports never run what a caller typed: no PDF markup, no spreadsheet formulas."""

from __future__ import annotations

import csv
import io

import pytest

from settlement.reports.render import ReportTable, csv_cell, pdf_text, to_csv, to_pdf

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
