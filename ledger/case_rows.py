"""The rows tied to a case, by the month.

A row about a case or a disbursement names nobody until it is matched to a court record,
and the day something happened is one of the keys such a match needs. Where only the
month may stay (after the retention purge, ``ledger.cases``), dates become the first of
their month and times midnight starting it, in the fund's time zone (``TIME_ZONE``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def month_start_at(value: dt.datetime | None) -> dt.datetime | None:
    """Midnight at the start of the month, in the fund's time zone (``TIME_ZONE``)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
