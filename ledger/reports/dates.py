"""The period a statement covers: two of the fund's economic dates, both included.

Balances are "at the close of" a day: every posting dated on or before it. A period's
opening balances are those at the close of the day before it starts (``Period.eve``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext, pgettext_lazy

# Statements cover days between these (a bound keeps "the day before" and "the month
# after" ordinary dates).
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)


class InvalidPeriod(ValueError):
    """A period needs two dates in ISO form (YYYY-MM-DD), the first not after the second."""


# The two ends of a period as a refusal names them (the period form's "From" and "To").
ENDS = {
    "from": pgettext_lazy("end of a period", "from"),
    "to": pgettext_lazy("end of a period", "to"),
}


def _end(name: str) -> str:
    return str(ENDS.get(name, name))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: dt.date) -> dt.date:
    return month_end(day) + dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        for name, value in (("from", self.start), ("to", self.end)):
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                message = gettext("The %(end)s date must be a date.")
                raise InvalidPeriod(message % {"end": _end(name)})
            if not EARLIEST <= value <= LATEST:
                message = gettext("The %(end)s date must fall between %(earliest)s and %(latest)s.")
                raise InvalidPeriod(
                    message
                    % {
                        "end": _end(name),
                        "earliest": f"{EARLIEST:%Y-%m-%d}",
                        "latest": f"{LATEST:%Y-%m-%d}",
                    }
                )
        if self.start > self.end:
            message = gettext("The from date (%(start)s) is after the to date (%(end)s).")
            raise InvalidPeriod(
                message % {"start": f"{self.start:%Y-%m-%d}", "end": f"{self.end:%Y-%m-%d}"}
            )

    @property
    def eve(self) -> dt.date:
        """The day before the period: opening balances are those at its close."""
        return self.start - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    @property
    def slug(self) -> str:
        """For file names: 2025-01-01_2025-12-31."""
        return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"

    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.end)


def parse_date(text: str, name: str) -> dt.date:
    text = (text or "").strip()
    if not text:
        raise InvalidPeriod(gettext("Give the %(end)s date as YYYY-MM-DD.") % {"end": _end(name)})
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        message = gettext("The %(end)s date %(text)s is not a date in the form YYYY-MM-DD.")
        raise InvalidPeriod(message % {"end": _end(name), "text": repr(text)})


def period_from_text(start: str, end: str) -> Period:
    """A period from two ISO dates as typed; :class:`InvalidPeriod` says what is wrong."""
    return Period(parse_date(start, "from"), parse_date(end, "to"))


def year_to_date(today: dt.date) -> Period:
    """The default period: 1 January of today's year through today."""
    return Period(today.replace(month=1, day=1), today)


@dataclass(frozen=True)
class Pieces:
    """A span of days cut where the monthly totals can answer for it: ``months`` is the
    first and last month (their first days) read from the monthly totals, or None;
    ``days`` the spans of part of a month, read from the postings."""

    months: tuple[dt.date, dt.date] | None
    days: tuple[tuple[dt.date, dt.date], ...]


def split_by_month(start: dt.date, end: dt.date) -> Pieces:
    """Cut [start, end] into whole months and, at either end, parts of a month."""
    days: list[tuple[dt.date, dt.date]] = []
    if start > end:
        return Pieces(None, ())
    if start.day != 1:
        head_end = min(end, month_end(start))
        days.append((start, head_end))
        if head_end == end:
            return Pieces(None, tuple(days))
        start = next_month(start)
    tail = None
    if end != month_end(end):
        tail = (max(start, month_start(end)), end)
        end = month_start(end) - dt.timedelta(days=1)
    months = (start, month_start(end)) if start <= end else None
    if tail is not None:
        days.append(tail)
    return Pieces(months, tuple(days))
