"""Bail paid, returned and forfeited in a period, by county and by court. Staff only.

Counties and courts are kept in clear on the case for exactly this (docs/ledger.md, "Case
data"), but they are staff data: with a court and a short period a figure can point to one
court record, so these statements are never published, and only roles that may read the
journal see them (``ledger.reports.views``).

The figures come from the disbursements and their recorded outcomes, which
``verify_ledger`` holds to their entries in the journal: a disbursement counts in the
period it was paid (``paid_on``, the date of its payment entry), a return or forfeiture on
the day it occurred (the date of its entry). So the totals equal the bail roll-forward's
paid, returned, court fees and forfeited, and each statement checks that they do.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ledger.casework.correction_records import standing
from ledger.models import Disbursement, DisbursementOutcome, DisbursementPurpose
from ledger.reports.statements import Books, for_the_period
from ledger.reports.tables import COUNT, MONEY, TOTAL, Column, Report, Row

NO_COURT = gettext_noop("(no court recorded)")
# Per group: disbursements paid, bail paid, support paid, returned, court fees, forfeited.
FIGURES = 6


def _figures(books: Books, *group: str) -> dict[tuple[str, ...], list[int]]:
    """The six figures per group of case fields (``case__county``, ``case__court``)."""
    start, end = books.period.start, books.period.end
    by_group: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * FIGURES)
    bail = Q(purpose=DisbursementPurpose.BAIL)
    paid = (
        Disbursement.objects.filter(paid_on__range=(start, end))
        .order_by()
        .values_list(*group)
        .annotate(
            count=Count("id"),
            bail=Sum("amount", filter=bail),
            support=Sum("amount", filter=~bail),
        )
    )
    for *key, count, bail_paid, support in paid:
        figures = by_group[tuple(key)]
        figures[0:3] = [count, bail_paid or 0, support or 0]
    outcomes = (
        standing(DisbursementOutcome.objects.filter(occurred_on__range=(start, end)))
        .order_by()
        .values_list(*(f"disbursement__{field}" for field in group))
        .annotate(
            returned=Sum("returned_amount"),
            fees=Sum("court_fees"),
            forfeited=Sum("forfeited_amount"),
        )
    )
    for *key, returned, fees, forfeited in outcomes:
        by_group[tuple(key)][3:6] = [returned or 0, fees or 0, forfeited or 0]
    return dict(by_group)


def _columns(*leading: str) -> tuple[Column, ...]:
    return (
        *(Column(_(name), csv_heading=name) for name in leading),
        Column(_("Disbursements paid"), COUNT, "Disbursements paid"),
        Column(_("Bail paid"), MONEY, "Bail paid"),
        Column(_("Support paid"), MONEY, "Support paid"),
        Column(_("Bail returned"), MONEY, "Bail returned"),
        Column(_("Court fees"), MONEY, "Court fees"),
        Column(_("Forfeited"), MONEY, "Forfeited"),
    )


def _activity_report(books: Books, *, slug: str, title: str, columns, groups) -> Report:
    period = books.period
    report = Report(
        slug=slug,
        title=title,
        period=period,
        currency=books.currency,
        subtitle=for_the_period(period),
        columns=columns,
    )
    totals = [0] * FIGURES
    leading = len(columns) - FIGURES
    for key in sorted(groups, key=lambda k: tuple(part.casefold() for part in k)):
        figures = groups[key]
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        report.rows.append(Row((*key, *figures)))
    report.rows.append(Row((_("Total"), *[""] * (leading - 1), *totals), style=TOTAL))
    report.notes.append(
        _(
            "Staff only: counties and courts are never published. Disbursements count when "
            "paid; returns and forfeitures on the day they occurred. Court fees are withheld "
            "from returned bail."
        )
    )
    bail = books.bail
    report.check(
        _("Bail paid, returned, court fees and forfeited total as in the bail roll-forward"),
        (totals[1], totals[3], totals[4], totals[5])
        == (bail.paid, bail.returned, bail.court_fees, bail.forfeited),
    )
    return report


def activity_by_county(books: Books) -> Report:
    groups = {(county,): figures for (county,), figures in _figures(books, "case__county").items()}
    return _activity_report(
        books,
        slug="activity-by-county",
        title=_("Bail activity by county"),
        columns=_columns(gettext_noop("County")),
        groups=groups,
    )


def activity_by_court(books: Books) -> Report:
    groups = {
        (court or _(NO_COURT), county): figures
        for (court, county), figures in _figures(books, "case__court", "case__county").items()
    }
    return _activity_report(
        books,
        slug="activity-by-court",
        title=_("Bail activity by court"),
        columns=_columns(gettext_noop("Court"), gettext_noop("County")),
        groups=groups,
    )
