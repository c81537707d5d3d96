"""One table model for every statement, so the page, the CSV and the PDF show the same rows.

A :class:`Report` has columns (text, money or count), rows grouped in sections, its totals
rows, notes, and the checks it passed or failed: identities such as "debits equal
credits" or "the roll-forward ends at the account's balance". Amounts stay integers in
minor units until a page or a file formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.books.money import format_money
from ledger.reports.dates import Period

TEXT, MONEY, COUNT = "text", "money", "count"


@dataclass(frozen=True)
class Column:
    heading: str
    kind: str = TEXT
    # The CSV's heading when it differs from the page's (without the unit, which the CSV
    # adds to every money column).
    csv_heading: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in (MONEY, COUNT)


LINE, SUBTOTAL, TOTAL = "line", "subtotal", "total"


@dataclass(frozen=True)
class Row:
    cells: tuple
    section: str = ""
    style: str = LINE  # a subtotal closes a section; totals go to the table's foot


@dataclass(frozen=True)
class Check:
    """An identity the statement must satisfy, and whether it did."""

    label: str
    ok: bool


@dataclass
class Report:
    slug: str  # in URLs and file names: trial-balance
    title: str
    period: Period
    currency: str
    columns: tuple[Column, ...]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    # "For the period …" or "As of …", under the title.
    subtitle: str = ""

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def body(self) -> list[Row]:
        return [row for row in self.rows if row.style != TOTAL]

    @property
    def totals(self) -> list[Row]:
        return [row for row in self.rows if row.style == TOTAL]

    @property
    def has_sections(self) -> bool:
        return any(row.section for row in self.rows)

    def file_name(self, extension: str) -> str:
        return f"{self.slug}_{self.period.slug}.{extension}"

    def check(self, label: str, ok: bool) -> None:
        self.checks.append(Check(label, bool(ok)))


def cell_text(value, column: Column, currency: str) -> str:
    """A cell as people read it: money formatted in the fund's currency, counts grouped."""
    if value is None or value == "":
        return ""
    if column.kind == MONEY:
        return format_money(int(value), currency)
    if column.kind == COUNT:
        return f"{int(value):,}"
    return str(value)


@dataclass(frozen=True)
class DisplayRow:
    cells: tuple[tuple[str, bool], ...]  # (text, numeric)
    style: str
    section: str
    starts_section: bool


def display_rows(report: Report, rows: list[Row]) -> list[DisplayRow]:
    """Rows with their cells formatted, each marked where a new section begins."""
    shown = []
    previous = None
    for row in rows:
        cells = tuple(
            (cell_text(value, column, report.currency), column.numeric)
            for value, column in zip(row.cells, report.columns, strict=True)
        )
        starts = bool(row.section) and row.section != previous
        shown.append(DisplayRow(cells, row.style, row.section, starts))
        previous = row.section or previous
    return shown
