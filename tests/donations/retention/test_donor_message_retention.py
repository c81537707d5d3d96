"""A donor's free-text message may name the person the gift was for: it is erased
DONOR_MESSAGE_RETENTION_DAYS after the gift, unless it is shown on the donor wall, by the
nightly task that erases donors' data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from donations.models import Donation, DonationStatus
from donations.retention.erasure import donor_messages_erase
from donations.wall import wall_entries_remove
from ledger.models import AuditEvent
from tests.donations.conftest import succeeded_gift

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 6, 1, 12, 0, tzinfo=dt.UTC)
APPROVED = NOW - dt.timedelta(days=300)


def _gift(message: str, *, days_ago: int, now: dt.datetime = NOW, **fields) -> Donation:
    donation = succeeded_gift(**{"display_name": "Ana", "message": message, **fields})
    Donation.objects.filter(pk=donation.pk).update(created_at=now - dt.timedelta(days=days_ago))
    return donation


def _message(donation: Donation) -> str:
    donation.refresh_from_db()
    return donation.message


def test_a_message_is_erased_after_the_period_and_the_gift_stays(settings):
    settings.DONOR_MESSAGE_RETENTION_DAYS = 90
    old = _gift("Bail for my brother Sam", days_ago=91)
    recent = _gift("For everyone inside", days_ago=89)

    assert donor_messages_erase(now=NOW) == 1

    assert _message(old) == "" and _message(recent) == "For everyone inside"
    old.refresh_from_db()
    assert (old.display_name, old.amount, old.status) == ("Ana", 2500, DonationStatus.SUCCEEDED)


def test_a_message_on_the_wall_is_kept_while_it_is_shown(settings):
    settings.DONOR_MESSAGE_RETENTION_DAYS = 90
    shown = _gift("Free them all", days_ago=400, show_on_wall=True, wall_approved_at=APPROVED)
    waiting = _gift("Still waiting", days_ago=400, show_on_wall=True)
    anonymous = _gift("Anon", days_ago=400, anonymous=True, wall_approved_at=APPROVED)

    assert donor_messages_erase(now=NOW) == 2

    assert _message(shown) == "Free them all"
    assert _message(waiting) == "" and _message(anonymous) == ""


def test_a_message_taken_off_the_wall_is_erased_at_the_next_run(settings, staff_user):
    settings.DONOR_MESSAGE_RETENTION_DAYS = 90
    shown = _gift("Free them all", days_ago=400, show_on_wall=True, wall_approved_at=APPROVED)
    assert donor_messages_erase(now=NOW) == 0

    moderator = staff_user("admin")
    wall_entries_remove(donations=Donation.objects.filter(pk=shown.pk), actor=moderator)

    assert donor_messages_erase(now=NOW) == 1
    assert _message(shown) == ""


def test_erasing_again_erases_nothing_and_the_audit_quotes_no_one(settings):
    settings.DONOR_MESSAGE_RETENTION_DAYS = 90
    for n in range(3):
        _gift(f"For Sam Doe {n}", days_ago=200)
    _gift("", days_ago=200)

    assert donor_messages_erase(now=NOW) == 3
    assert donor_messages_erase(now=NOW + dt.timedelta(days=1)) == 0

    audits = AuditEvent.objects.filter(action="donations.donor_messages_erased")
    assert [a.details["count"] for a in audits] == [3]
    assert "Sam Doe" not in str(list(audits.values()))


def test_the_nightly_donor_data_task_erases_messages_too(settings):
    from donations.tasks import erase_donor_data

    tasks = {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "donations.tasks.erase_donor_data" in tasks
    settings.DONOR_MESSAGE_RETENTION_DAYS = 30
    settings.DONOR_DATA_RETENTION_DAYS = 4000
    gift = _gift("Bail for Sam", days_ago=31, now=timezone.now())

    assert erase_donor_data.delay().get() == 1
    assert _message(gift) == ""
