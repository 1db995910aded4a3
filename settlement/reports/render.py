"""Reports as tables, and tables as CSV text or PDF bytes (reportlab).

Money columns are printed as exact decimal text from integers (tiyn -> "1234.56"); crypto
volumes stay in base units because their decimals differ per asset. PDF generation is
CPU-bound: callers in the event loop run `to_pdf` in a worker thread.

Nothing a caller passed is ever read as markup or as a formula:
- a ReportLab `Paragraph` parses its text as XML-like markup (`<b>`, `<img src=...>` which
  opens a local file, `<link>`), so every string drawn in a paragraph is XML-escaped first
  (`pdf_text`); table cells are drawn as plain strings and need no escaping;
- a CSV cell starting with `=`, `+`, `-`, `@`, tab or CR is run as a formula by spreadsheet
  programs, so it gets a leading apostrophe (`csv_cell`); plain numbers ("-12.50") are left
  alone, as they are data a spreadsheet reads as a number, not a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from settlement.batches.models import Batch
from settlement.reports.service import Statement, SummaryRow

Cell = str | int
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_KZT_COLUMN = re.compile(r"\bKZT\b")
UNITS_COLUMN = "crypto units"
REFUNDED_UNITS_COLUMN = "refunded units"


def pdf_text(text: str) -> str:
    """`text` as Paragraph markup that draws exactly these characters and nothing else."""
    return escape(text)


def csv_cell(cell: Cell) -> Cell:
    """The cell, with a leading apostrophe when a spreadsheet would run it as a formula."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


@dataclass(frozen=True, slots=True)
class ReportTable:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    notes: tuple[str, ...] = ()


def tiyn(amount: int) -> str:
    """Exact KZT text from tiyn, sign first (no float on the way)."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 100)
    return f"{sign}{whole}.{frac:02d}"


def statement_table(s: Statement) -> ReportTable:
    rows: list[tuple[Cell, ...]] = [
        ("opening payable", "", tiyn(s.opening)),
        ("settled invoices (gross)", s.sales_count, tiyn(s.gross)),
        ("fees", "", tiyn(-s.fees)),
        ("refunds", "", tiyn(-s.refunds)),
        ("adjustments", "", tiyn(s.adjustments)),
        ("payouts", "", tiyn(-s.payouts)),
        ("payouts returned", "", tiyn(s.payouts_returned)),
        ("closing payable", "", tiyn(s.closing)),
    ]
    return ReportTable(
        title=f"Statement {s.merchant_id} {s.start.isoformat()} .. {s.end.isoformat()}",
        columns=("line", "count", "KZT"), rows=rows,
        notes=tuple(f"batch {b['id']} {b['business_day']} {b['status']} "
                    f"payout {tiyn(int(b['payout_amount']))}" for b in s.batches),
    )


def summary_table(rows: Sequence[SummaryRow], title: str) -> ReportTable:
    body: list[tuple[Cell, ...]] = [
        (r.day.isoformat(), r.chain, r.asset, r.invoice_count, str(r.crypto_volume),
         tiyn(r.kzt_volume), tiyn(r.fees), tiyn(r.fx_result), r.refund_count,
         str(r.refunded_units), tiyn(r.refunds_kzt))
        for r in rows
    ]
    body.append(("total", "", "", sum(r.invoice_count for r in rows), "",
                 tiyn(sum(r.kzt_volume for r in rows)), tiyn(sum(r.fees for r in rows)),
                 tiyn(sum(r.fx_result for r in rows)), sum(r.refund_count for r in rows), "",
                 tiyn(sum(r.refunds_kzt for r in rows))))
    return ReportTable(title, ("day", "chain", "asset", "invoices", UNITS_COLUMN,
                               "KZT volume", "fees KZT", "FX result KZT", "refunds",
                               REFUNDED_UNITS_COLUMN, "refunds KZT"), body)


def batches_table(batches: Sequence[Batch], title: str) -> ReportTable:
    body: list[tuple[Cell, ...]] = [
        (b.id, b.merchant_id, b.business_day.isoformat(), str(b.status), b.invoice_count,
         tiyn(b.gross), tiyn(b.fees), tiyn(b.net), tiyn(b.payout_amount),
         b.bank_reference or "")
        for b in batches
    ]
    return ReportTable(title, ("batch", "merchant", "business day", "status", "invoices",
                               "gross KZT", "fees KZT", "net KZT", "payout KZT",
                               "bank reference"), body)


def tiyn_of(text: str) -> int:
    """The exact tiyn of a `tiyn()` text ("-12.50" -> -1250)."""
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int(frac.ljust(2, "0")[:2]))


def readable_rows(table: ReportTable, kzt: Callable[[int], str],
                  units: Callable[[int, str], str] | None = None) -> list[tuple[str, ...]]:
    """The rows as a page shows them to people; CSV and PDF keep the plain figures.

    Tenge columns (their name has "KZT") go through `kzt` (given tiyn); the crypto units
    columns (volume, refunded) through `units` (given base units and the row's
    "chain:asset"), when given.
    """
    money = {i for i, c in enumerate(table.columns) if _KZT_COLUMN.search(c)}
    crypto = {i for i, c in enumerate(table.columns)
              if c in (UNITS_COLUMN, REFUNDED_UNITS_COLUMN)}

    def cell(i: int, value: Cell, row: tuple[Cell, ...]) -> str:
        text = str(value)
        if i in money and _PLAIN_NUMBER.match(text):
            return kzt(tiyn_of(text))
        if i in crypto and units is not None and text.isdigit():
            chain, asset = (row[table.columns.index(c)] for c in ("chain", "asset"))
            return units(int(text), f"{chain}:{asset}")
        return text

    return [tuple(cell(i, v, row) for i, v in enumerate(row)) for row in table.rows]


def to_csv(table: ReportTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in table.columns])
    writer.writerows([csv_cell(c) for c in row] for row in table.rows)
    return out.getvalue()


def to_pdf(table: ReportTable) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=table.title,
                            leftMargin=28, rightMargin=28, topMargin=28, bottomMargin=28)
    styles = getSampleStyleSheet()
    grid = Table([list(table.columns), *[[str(c) for c in row] for row in table.rows]],
                 repeatRows=1)
    grid.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3a5f")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
    ]))
    story = [Paragraph(pdf_text(table.title), styles["Heading2"]), Spacer(1, 8), grid]
    story.extend(Paragraph(pdf_text(note), styles["Normal"]) for note in table.notes)
    doc.build(story)
    return buffer.getvalue()
