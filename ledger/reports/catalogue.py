"""Every statement, by the slug its page, its files and the command know it by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ledger.reports.activity import activity_by_county, activity_by_court
from ledger.reports.dates import Period
from ledger.reports.statements import (
    Books,
    activities,
    bail_roll_forward,
    financial_position,
    trial_balance,
)
from ledger.reports.tables import Report


@dataclass(frozen=True)
class Statement:
    slug: str
    title: str | Promise  # in the page's language
    url_name: str  # in the ``reports`` namespace
    build: Callable[[Books], Report]
    summary: str | Promise


STATEMENTS: tuple[Statement, ...] = (
    Statement(
        "trial-balance",
        _("Trial balance"),
        "trial_balance",
        trial_balance,
        _("Every account: opening balance, debits, credits and closing balance."),
    ),
    Statement(
        "financial-position",
        _("Statement of financial position"),
        "financial_position",
        financial_position,
        _("Assets, liabilities and net assets at the start and the end of the period."),
    ),
    Statement(
        "activities",
        _("Statement of activities"),
        "activities",
        activities,
        _("Revenue and expenses of the period, and the change in net assets."),
    ),
    Statement(
        "bail-roll-forward",
        _("Bail roll-forward"),
        "bail_roll_forward",
        bail_roll_forward,
        _("Outstanding bail at the start, paid, returned, court fees, forfeited, at the end."),
    ),
    Statement(
        "activity-by-county",
        _("Bail activity by county"),
        "activity_by_county",
        activity_by_county,
        _("Disbursements paid, bail paid, returned and forfeited per county (staff only)."),
    ),
    Statement(
        "activity-by-court",
        _("Bail activity by court"),
        "activity_by_court",
        activity_by_court,
        _("The same per court (staff only)."),
    ),
)
BY_SLUG = {statement.slug: statement for statement in STATEMENTS}


def all_statements(period: Period) -> list[Report]:
    """Every statement of the period, reading the books once for all of them."""
    books = Books(period)
    return [statement.build(books) for statement in STATEMENTS]
