"""The fund's time zone: the one rule for economic dates.

A gift made at 21:00 on 31 December in Chicago belongs to that year, whatever zone the
servers run in. ``FUND_TIME_ZONE`` (an IANA name, default ``UTC``) dates every posting
from Stripe, every month of the public releases, receipts and "today" in forms. The books
remember the zone they were started in: changing it later would move posted entries
across days and months, so posting is refused until it is set back.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def fund_zone() -> ZoneInfo:
    return ZoneInfo(settings.FUND_TIME_ZONE)


def fund_date(moment: dt.datetime | int | float) -> dt.date:
    """The day ``moment`` (an aware datetime, or a Unix timestamp as Stripe sends) falls
    on in the fund's time zone."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.fromtimestamp(moment, tz=dt.UTC)
    return moment.astimezone(fund_zone()).date()


def fund_today() -> dt.date:
    return fund_date(timezone.now())
