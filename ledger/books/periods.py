"""Closing periods: once a month (or a year) is closed, nothing is posted dated in it.

A bookkeeper closes a month once it has ended; an admin closes a year (its December). The
books are then closed through that month's last day: a posting dated on or before it is
refused (``exceptions.PeriodClosed``) and its correction is posted in the open period,
referring back; a fact that happened whatever the books say (Stripe's) is posted on the
first open day instead (``Entry.outside_fact``). The rule is one date on the chain head,
read under the same lock as every posting, and each close is signed into a tree head
(its ``closed:`` line), so a period reported on (a Form 990, a board report) cannot change
unseen. Periods are closed in order and never reopened.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ledger import exceptions
from ledger.books.closed_periods import ClosedPeriod, PeriodKind
from ledger.books.fund_time import fund_today
from ledger.books.posting import audit_record, books_lock
from ledger.books.tree_heads import checkpoint_create
from ledger.models import ChainHead
from ledger.staff.roles import Capability, require

ONE_DAY = dt.timedelta(days=1)


def closed_through() -> dt.date | None:
    return ChainHead.objects.filter(id=1).values_list("closed_through", flat=True).first()


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_close(*, through: dt.date, kind: str = PeriodKind.MONTH, actor=None) -> ClosedPeriod:
    """Close the books through ``through``: the last day of a month that has ended (of a
    December for a year). Everything before it is closed with it. A year may be closed
    after its December was closed as a month: the admin's close of the year is recorded
    and signed all the same."""
    if kind not in PeriodKind.values:
        raise exceptions.PeriodNotClosable(
            gettext("Unknown period %(kind)s.") % {"kind": repr(kind)}
        )
    if actor is not None:
        require(actor, Capability.CLOSE_YEAR if kind == PeriodKind.YEAR else Capability.CLOSE_MONTH)
    if through != month_end(through.year, through.month):
        raise exceptions.PeriodNotClosable(gettext("A period closes on the last day of a month."))
    if kind == PeriodKind.YEAR and through.month != 12:
        raise exceptions.PeriodNotClosable(gettext("A year closes on 31 December."))
    if through >= fund_today():
        message = gettext("%(month)s has not ended yet: it can be closed from %(day)s.")
        raise exceptions.PeriodNotClosable(
            message % {"month": f"{through:%Y-%m}", "day": f"{through + ONE_DAY:%Y-%m-%d}"}
        )
    with transaction.atomic():
        books_lock()
        current = closed_through()
        year_again = kind == PeriodKind.YEAR and through == current
        if current is not None and through <= current and not year_again:
            message = gettext("The books are already closed through %(day)s.")
            raise exceptions.PeriodNotClosable(message % {"day": f"{current:%Y-%m-%d}"})
        if ClosedPeriod.objects.filter(kind=kind, through=through).exists():
            # Only a year gets here: a month closed again is refused just above.
            message = gettext("%(year)s is already closed.")
            raise exceptions.PeriodNotClosable(message % {"year": f"{through:%Y}"})
        if kind == PeriodKind.YEAR:
            start = dt.date(through.year, 1, 1)
        else:
            start = current + ONE_DAY if current is not None else through.replace(day=1)
        ChainHead.objects.filter(id=1).update(closed_through=through)
        checkpoint = checkpoint_create()
        closed = ClosedPeriod.objects.create(
            kind=kind,
            start=start,
            through=through,
            closed_at=timezone.now(),
            closed_by=actor,
            checkpoint=checkpoint,
        )
        audit_record(
            actor,
            "period",
            through.isoformat(),
            f"period.{kind}_closed",
            {
                "start": start.isoformat(),
                "through": through.isoformat(),
                "head": checkpoint.sequence,
            },
        )
    return closed


def closable_months(today: dt.date | None = None) -> list[dt.date]:
    """The last days of the months that have ended and are not closed, oldest first, back
    to the first month with a posting (or last month, in empty books)."""
    from ledger.models import JournalTransaction

    today = today or fund_today()
    last = today.replace(day=1) - ONE_DAY
    current = closed_through()
    if current is not None:
        first = current + ONE_DAY
    else:
        earliest = JournalTransaction.objects.order_by("date").values_list("date", flat=True)
        first = min(earliest.first() or last, last).replace(day=1)
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(month_end(day.year, day.month))
        day = months[-1] + ONE_DAY
    return months
