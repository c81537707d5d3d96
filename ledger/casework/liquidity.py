"""How much bail is expected back, month by month, from the fund's own history: an
estimate, labelled as one, with its basis.

The basis is every bail disbursement the courts have settled (nothing outstanding:
returned, withheld as fees or forfeited, in any mix): how long each took from payment to
settlement, and what share of the money came back (the rest went to court fees and
forfeitures). For each bail still
outstanding, the chance that it settles in a coming month is the share of settled cases
that took that long, among those that took at least as long as it has been out already
(the empirical distribution, conditioned on its age). Its expected return in that month is
its outstanding amount times that chance times the share that comes back. Bail out longer
than any settled case has no estimate and is counted apart.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from dataclasses import dataclass, field

from ledger.books.fund_time import fund_today
from ledger.books.selectors import funds_available
from ledger.models import Disbursement, DisbursementPurpose, DisbursementStatus

S = DisbursementStatus
MONTHS = 6
MIN_HISTORY = 5
OUTSTANDING = (S.PAID, S.PARTLY_RETURNED)


@dataclass
class Month:
    start: dt.date
    end: dt.date
    expected: int = 0  # minor units expected back in the month
    committable: int = 0  # available now plus everything expected back through the month


@dataclass
class Forecast:
    today: dt.date
    available: int
    settled_cases: int
    median_days: int | None
    return_share: float | None  # of the money paid, what came back
    outstanding: int
    outstanding_cases: int
    beyond_history: int = 0  # outstanding bail older than every settled case
    months: list[Month] = field(default_factory=list)

    @property
    def enough_history(self) -> bool:
        return self.settled_cases >= MIN_HISTORY


def _months(today: dt.date) -> list[Month]:
    months, year, month = [], today.year, today.month
    for _ in range(MONTHS):
        last = calendar.monthrange(year, month)[1]
        months.append(Month(start=dt.date(year, month, 1), end=dt.date(year, month, last)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    months[0].start = today
    return months


def liquidity_forecast(today: dt.date | None = None) -> Forecast:
    today = today or fund_today()
    bail = Disbursement.objects.filter(purpose=DisbursementPurpose.BAIL, paid_on__isnull=False)
    settled = list(
        bail.filter(settled_on__isnull=False).values_list(
            "paid_on", "settled_on", "amount", "returned_amount"
        )
    )
    durations = sorted((settled_on - paid_on).days for paid_on, settled_on, _, _ in settled)
    paid = sum(amount for *_, amount, _ in settled)
    share = (sum(returned for *_, returned in settled) / paid) if paid else None
    out = bail.filter(settled_on__isnull=True, status__in=OUTSTANDING).values_list(
        "paid_on", "amount", "returned_amount", "court_fees", "forfeited_amount"
    )
    outstanding = [
        (paid_on, left)
        for paid_on, amount, *settled_parts in out
        if (left := amount - sum(settled_parts)) > 0
    ]
    forecast = Forecast(
        today=today,
        available=funds_available(),
        settled_cases=len(settled),
        median_days=durations[len(durations) // 2] if durations else None,
        return_share=share,
        outstanding=sum(amount for _, amount in outstanding),
        outstanding_cases=len(outstanding),
        months=_months(today),
    )
    if not forecast.enough_history:
        return forecast
    for paid_on, amount in outstanding:
        age = (today - paid_on).days
        longer = len(durations) - bisect.bisect_left(durations, age)
        if longer == 0:
            forecast.beyond_history += amount
            continue
        for month in forecast.months:
            low = (month.start - paid_on).days
            high = (month.end - paid_on).days
            settling = bisect.bisect_right(durations, high) - bisect.bisect_left(
                durations, max(low, age)
            )
            month.expected += round(amount * share * settling / longer)
    running = forecast.available
    for month in forecast.months:
        running += month.expected
        month.committable = running
    return forecast
