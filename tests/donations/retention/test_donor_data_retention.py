"""Donors' email addresses and names are kept for receipts and the year-end statement,
then erased: DONOR_DATA_RETENTION_DAYS after the gift's last charge, never while a monthly
gift is still running. The gift itself stays, and so do the books."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from donations.models import Donation, DonationStatus, Frequency, StripeCharge
from donations.retention.erasure import donor_data_erase
from ledger.models import AuditEvent

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 6, 1, 12, 0, tzinfo=dt.UTC)


def _gift(name: str, *, created_days_ago: int, charged_days_ago=(), **fields) -> Donation:
    values = {
        "frequency": Frequency.ONCE,
        "status": DonationStatus.SUCCEEDED,
        "currency": "usd",
        "gift_amount": 2500,
        "amount": 2500,
        "email": f"{name}@example.org",
        "donor_name": f"{name.title()} Donorson",
        "checkout_idempotency_key": f"checkout:{uuid.uuid4()}",
        **fields,
    }
    donation = Donation.objects.create(**values)
    Donation.objects.filter(pk=donation.pk).update(
        created_at=NOW - dt.timedelta(days=created_days_ago)
    )
    for days in charged_days_ago:
        StripeCharge.objects.create(
            charge_id=f"ch_{uuid.uuid4().hex}",
            donation=donation,
            amount=donation.amount,
            currency="usd",
            charged_at=NOW - dt.timedelta(days=days),
        )
    return donation


def _kept(donation: Donation) -> bool:
    donation.refresh_from_db()
    return bool(donation.email and donation.donor_name)


def test_a_gift_past_the_period_loses_its_donor_data_and_keeps_the_rest(settings):
    settings.DONOR_DATA_RETENTION_DAYS = 400
    old = _gift("ada", created_days_ago=500, charged_days_ago=[500], display_name="Ada")
    recent = _gift("bo", created_days_ago=100, charged_days_ago=[100])

    assert donor_data_erase(now=NOW) == 1

    old.refresh_from_db()
    assert (old.email, old.donor_name) == ("", "")
    assert old.donor_data_erased_at == NOW
    assert (old.amount, old.status, old.display_name) == (2500, DonationStatus.SUCCEEDED, "Ada")
    assert old.charges.count() == 1
    assert _kept(recent)


def test_a_running_monthly_gift_keeps_its_donor_data_however_old(settings):
    settings.DONOR_DATA_RETENTION_DAYS = 400
    running = _gift(
        "cy", created_days_ago=900, charged_days_ago=[900, 30], frequency=Frequency.MONTHLY
    )
    stopped_long_ago = _gift(
        "di",
        created_days_ago=900,
        charged_days_ago=[900, 600],
        frequency=Frequency.MONTHLY,
        status=DonationStatus.CANCELLED,
    )
    stopped_lately = _gift(
        "ed",
        created_days_ago=900,
        charged_days_ago=[900, 60],
        frequency=Frequency.MONTHLY,
        status=DonationStatus.CANCELLED,
    )

    assert donor_data_erase(now=NOW) == 1

    assert _kept(running) and _kept(stopped_lately)
    assert not _kept(stopped_long_ago)


def test_a_checkout_never_paid_is_erased_once_the_period_has_passed(settings):
    settings.DONOR_DATA_RETENTION_DAYS = 400
    abandoned = _gift("fay", created_days_ago=401, status=DonationStatus.EXPIRED)
    fresh = _gift("gus", created_days_ago=10, status=DonationStatus.EXPIRED)

    assert donor_data_erase(now=NOW) == 1
    assert not _kept(abandoned) and _kept(fresh)


def test_erasing_again_erases_nothing_and_the_audit_names_no_one(settings):
    settings.DONOR_DATA_RETENTION_DAYS = 400
    for name in ("hal", "ivy", "jo"):
        _gift(name, created_days_ago=700, charged_days_ago=[700])

    assert donor_data_erase(now=NOW) == 3
    assert donor_data_erase(now=NOW + dt.timedelta(days=1)) == 0

    audits = AuditEvent.objects.filter(action="donations.donor_data_erased")
    assert [a.details["count"] for a in audits] == [3]
    assert "example.org" not in str(list(audits.values()))


def test_the_nightly_task_is_scheduled_and_the_books_still_verify(settings):
    from donations.tasks import erase_donor_data

    tasks = {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "donations.tasks.erase_donor_data" in tasks

    settings.DONOR_DATA_RETENTION_DAYS = 30
    _gift("kim", created_days_ago=600, charged_days_ago=[600])  # before today, too
    assert erase_donor_data.delay().get() == 1
    assert timezone.now() > Donation.objects.get().donor_data_erased_at
    call_command("verify_ledger")
