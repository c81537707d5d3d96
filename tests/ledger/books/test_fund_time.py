"""Economic dates follow FUND_TIME_ZONE, and the books keep the zone they started in."""

import datetime as dt

import pytest

from donations.events.posting import entry_for
from ledger.books.fund_time import fund_date
from ledger.books.posting import books_time_zone_check, transaction_post
from ledger.exceptions import TimeZoneChanged
from ledger.models import ChainHead, JournalTransaction

pytestmark = pytest.mark.django_db

# 21:00 on New Year's Eve in Chicago is already 03:00 on 1 January in UTC.
NEW_YEARS_EVE_IN_CHICAGO = int(dt.datetime(2027, 1, 1, 3, 0, tzinfo=dt.UTC).timestamp())


def _gift(created: int) -> dict:
    return {"id": "txn_nye", "type": "charge", "amount": 5000, "fee": 175, "net": 4825,
            "currency": "usd", "created": created}  # fmt: skip


@pytest.mark.parametrize(
    ("zone", "day"),
    [("America/Chicago", dt.date(2026, 12, 31)), ("UTC", dt.date(2027, 1, 1))],
)
def test_a_gift_late_on_new_years_eve_is_dated_in_the_funds_zone(settings, zone, day):
    settings.FUND_TIME_ZONE = zone

    assert fund_date(NEW_YEARS_EVE_IN_CHICAGO) == day
    assert entry_for(_gift(NEW_YEARS_EVE_IN_CHICAGO)).date == day


def _post(key: str) -> None:
    transaction_post(
        kind="offline_gift",
        date=dt.date(2026, 6, 1),
        legs=[("assets:bank", 100), ("income:donations", -100)],
        idempotency_key=key,
    )


def test_the_books_keep_the_zone_they_started_in_and_refuse_another(settings):
    settings.FUND_TIME_ZONE = "America/Chicago"
    _post("first")
    assert ChainHead.objects.get().time_zone == "America/Chicago"

    settings.FUND_TIME_ZONE = "Europe/Madrid"
    with pytest.raises(TimeZoneChanged, match="set FUND_TIME_ZONE back to America/Chicago"):
        _post("second")
    with pytest.raises(TimeZoneChanged):
        books_time_zone_check()
    assert JournalTransaction.objects.count() == 1

    settings.FUND_TIME_ZONE = "America/Chicago"
    _post("second")
    assert JournalTransaction.objects.count() == 2


def test_verification_holds_whatever_zone_the_process_runs_in(settings):
    """On SQLite a non-UTC TIME_ZONE made every hash recompute wrong."""
    from ledger.books.verification import verify_ledger

    settings.TIME_ZONE = "America/Chicago"
    _post("one")

    assert verify_ledger().ok
