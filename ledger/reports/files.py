"""A statement as a file: CSV, a standalone printable HTML page, or PDF.

CSV (docs/reports.md, "CSV"): one header row, then one row per line of the statement.
Every row starts with the period (``from``, ``to``, ISO dates) and what the row is
(``line``, ``subtotal`` or ``total``, so a program summing lines skips the others), then
the section where the statement has them, then the statement's columns. Cells follow the
staff CSV convention (``ledger.staff.csv_cells``): amounts in the currency's major unit,
named in the heading, ``debits (USD)`` over ``3190.00``; text made safe to open in a
spreadsheet.

PDF: the same table, in the PDF core font Helvetica (Windows-1252); a character outside it
prints as "?". The CSV and HTML keep every name exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from ledger.reports.tables import MONEY, TOTAL, Report, display_rows
from ledger.staff import csv_cells
from ledger.staff.csv_cells import spreadsheet_safe

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def csv_header(report: Report) -> list[str]:
    header = ["from", "to", "row"] + (["section"] if report.has_sections else [])
    for column in report.columns:
        heading = (column.csv_heading or column.heading).lower()
        money = column.kind == MONEY
        header.append(csv_cells.money_heading(heading, report.currency) if money else heading)
    return header


def _cell(value, column, currency: str):
    if column.kind == MONEY:
        return csv_cells.money(int(value), currency)
    return value if column.numeric else spreadsheet_safe(str(value))


def csv_rows(report: Report) -> list[list]:
    period = [report.period.start.isoformat(), report.period.end.isoformat()]
    rows = []
    for row in report.rows:
        section = [spreadsheet_safe(row.section)] if report.has_sections else []
        cells = [
            _cell(value, column, report.currency)
            for value, column in zip(row.cells, report.columns, strict=True)
        ]
        rows.append([*period, row.style, *section, *cells])
    return rows


def csv_text(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spreadsheet_safe(heading) for heading in csv_header(report)])
    writer.writerows(csv_rows(report))
    return out.getvalue()


def report_context(report: Report) -> dict:
    return {
        "report": report,
        "body": display_rows(report, report.body),
        "totals": display_rows(report, report.totals),
    }


def html_text(report: Report) -> str:
    """A standalone page for the file: its styles inline, printable as it is."""
    context = report_context(report) | {
        "FUND_NAME": settings.FUND_NAME,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return render_to_string("ledger/reports/file.html", context)


# PDF -----------------------------------------------------------------------------------

_ENCODING = "windows-1252"
NUMBER_WIDTH = 34.0  # mm, for each amount or count column


def pdf_text(text: str) -> str:
    """Text the core font can print: composed, anything else as '?'."""
    text = unicodedata.normalize("NFKC", str(text))
    return text.encode(_ENCODING, "replace").decode(_ENCODING)


def _widths(pdf, report: Report, rows, usable: float) -> list[float]:
    """Amount and count columns a fixed width; text columns the rest, shared in proportion
    to the widest text each holds."""
    numeric = [column.numeric for column in report.columns]
    left = usable - NUMBER_WIDTH * sum(numeric)
    wanted = []
    for index, column in enumerate(report.columns):
        texts = [column.heading, *(row.cells[index][0] for row in rows)]
        wanted.append(max(pdf.get_string_width(pdf_text(text)) for text in texts) + 3)
    text_wanted = sum(w for w, is_number in zip(wanted, numeric, strict=True) if not is_number)
    scale = left / text_wanted if text_wanted else 0
    return [
        NUMBER_WIDTH if is_number else width * scale
        for width, is_number in zip(wanted, numeric, strict=True)
    ]


def _fit(pdf, text: str, width: float) -> str:
    """Cut a cell's text to its column, ending in '...' when cut."""
    if pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "...") > width - 2:
        text = text[:-1]
    return text + "..."


def pdf_bytes(report: Report) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    body, totals = display_rows(report, report.body), display_rows(report, report.totals)

    fund = pdf_text(settings.FUND_NAME)

    class StatementPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 5, f"{fund} - {pdf_text(report.title)} - page {self.page_no()}")

    pdf = StatementPDF(orientation="L", unit="mm", format="Letter")
    pdf.core_fonts_encoding = _ENCODING
    pdf.set_title(pdf_text(f"{report.title}, {report.period.label}"))
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("Helvetica", "B", 9)
    widths = _widths(pdf, report, [*body, *totals], usable)
    line = 6.0

    def next_line() -> None:
        pdf.ln(line)

    def table_header() -> None:
        pdf.set_font("Helvetica", "B", 9)
        for column, width in zip(report.columns, widths, strict=True):
            align = "R" if column.numeric else "L"
            pdf.cell(
                width, line, _fit(pdf, pdf_text(column.heading), width), border="B", align=align
            )
        next_line()

    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, fund, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 8, pdf_text(report.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, pdf_text(report.subtitle), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    table_header()
    for row in [*body, *totals]:
        if pdf.will_page_break(line * 2):
            pdf.add_page()
            table_header()
        if row.starts_section:
            pdf.set_font("Helvetica", "B", 9)
            pdf.cell(usable, line, pdf_text(row.section))
            next_line()
        bold = row.style != "line"
        pdf.set_font("Helvetica", "B" if bold else "", 9)
        border = "T" if row.style == TOTAL else 0
        for (text, numeric), width in zip(row.cells, widths, strict=True):
            shown = _fit(pdf, pdf_text(text), width)
            pdf.cell(width, line, shown, border=border, align="R" if numeric else "L")
        next_line()
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 9)
    for note in report.notes:
        pdf.multi_cell(usable, 5, pdf_text(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for check in report.checks:
        mark = "Holds" if check.ok else "FAILS"
        text = pdf_text(f"{mark}: {check.label}")
        pdf.multi_cell(usable, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def statement_file(statement, books, file_format: str) -> tuple[Report, bytes]:
    """A statement built from ``books`` and written as a file, in English whatever the
    page's language: files are read by programs and kept."""
    with translation.override("en"):
        report = statement.build(books)
        return report, render(report, file_format)


def render(report: Report, file_format: str) -> bytes:
    """The file's bytes: ``csv``, ``html`` or ``pdf``, in the active language (English
    for the command; pages go through :func:`statement_file`)."""
    if file_format == "csv":
        return csv_text(report).encode("utf-8")
    if file_format == "html":
        return html_text(report).encode("utf-8")
    if file_format == "pdf":
        return pdf_bytes(report)
    raise ValueError(f"unknown format {file_format!r}")
