"""What the postings of a span of days add up to, per account.

Posting keeps, in the same database transaction as every leg, each account's debits and
credits per calendar month (``MonthlyTotal``, by economic date). So the whole months of a
span are read from those rows, a few per account and month however large the journal;
only the days of a month the span starts or ends inside are summed from the postings
themselves. :func:`period_movements` is the one place that decides; the two ways it
combines are public so that tests can hold each to the sum of every posting.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, F, Sum, Value, When

from ledger.models import MonthlyTotal, Posting
from ledger.reports.dates import month_end, month_start, split_by_month


@dataclass(frozen=True)
class Flow:
    """An account's debits and credits over some days, both as positive numbers."""

    debits: int = 0
    credits: int = 0

    @property
    def net(self) -> int:
        """Debits less credits: what the days add to the account's balance."""
        return self.debits - self.credits

    def __add__(self, other: Flow) -> Flow:
        return Flow(self.debits + other.debits, self.credits + other.credits)


def _combine(*parts: dict[int, Flow]) -> dict[int, Flow]:
    total: dict[int, Flow] = defaultdict(Flow)
    for part in parts:
        for account_id, flow in part.items():
            total[account_id] += flow
    return dict(total)


def movements_from_monthly_totals(
    first_month: dt.date | None, last_month: dt.date
) -> dict[int, Flow]:
    """Debits and credits per account id over whole months, from the monthly totals:
    ``first_month`` to ``last_month`` (any day of each; None for "from the beginning")."""
    rows = MonthlyTotal.objects.filter(month__lte=month_start(last_month))
    if first_month is not None:
        rows = rows.filter(month__gte=month_start(first_month))
    sums = (
        rows.order_by()
        .values("account_id")
        .annotate(debits=Sum("debits"), credits=Sum("credits"))
        .values_list("account_id", "debits", "credits")
    )
    return {account_id: Flow(debits or 0, credits or 0) for account_id, debits, credits in sums}


def movements_from_postings(start: dt.date | None, end: dt.date) -> dict[int, Flow]:
    """Debits and credits per account id of the postings dated ``start`` to ``end`` (both
    included; None for "from the beginning"), summed from the postings themselves."""
    rows = Posting.objects.filter(transaction__date__lte=end)
    if start is not None:
        rows = rows.filter(transaction__date__gte=start)
    sums = (
        rows.order_by()
        .values("account_id")
        .annotate(
            debits=Sum(Case(When(amount__gt=0, then=F("amount")), default=Value(0))),
            credits=Sum(Case(When(amount__lt=0, then=-F("amount")), default=Value(0))),
        )
        .values_list("account_id", "debits", "credits")
    )
    return {account_id: Flow(debits or 0, credits or 0) for account_id, debits, credits in sums}


def period_movements(start: dt.date, end: dt.date) -> dict[int, Flow]:
    """Debits and credits per account id of every posting dated ``start`` to ``end``:
    whole months from the monthly totals, the rest from the postings."""
    pieces = split_by_month(start, end)
    parts = [movements_from_postings(first, last) for first, last in pieces.days]
    if pieces.months is not None:
        parts.append(movements_from_monthly_totals(*pieces.months))
    return _combine(*parts)


def balances_at(day: dt.date) -> dict[int, int]:
    """Each account's balance at the close of ``day`` (every posting dated on or before
    it), by account id; accounts without postings are left out."""
    if day == month_end(day):
        flows = movements_from_monthly_totals(None, day)
    else:
        before = month_start(day) - dt.timedelta(days=1)
        flows = _combine(
            movements_from_monthly_totals(None, before),
            movements_from_postings(month_start(day), day),
        )
    return {account_id: flow.net for account_id, flow in flows.items()}


def legs_by_kind(
    start: dt.date, end: dt.date, account_ids: Iterable[int]
) -> dict[tuple[int, str], int]:
    """The sum of the legs on these accounts dated ``start`` to ``end``, by (account id,
    kind of transaction): what the recipes of docs/ledger.md say each kind means."""
    rows = (
        Posting.objects.filter(
            account_id__in=list(account_ids), transaction__date__range=(start, end)
        )
        .order_by()
        .values("account_id", "transaction__kind")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "transaction__kind", "total")
    )
    return {(account_id, kind): total for account_id, kind, total in rows}
