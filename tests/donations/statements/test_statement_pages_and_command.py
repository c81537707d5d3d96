"""The staff page of the runs, the command's dry run, and check donors' details."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from donations.models import DonorStatementRun, DonorStatementSent, OfflineGift
from donations.retention.erasure import donor_data_erase
from donations.statements.sending import run_chunk, run_start
from ledger.models import AuditEvent
from tests.donations.statements.conftest import YEAR, at, card_gift

pytestmark = pytest.mark.django_db


def test_the_dry_run_prints_the_counts_and_writes_nothing(check_gift):
    card_gift("a@example.org", (5000, at(2, 2)), (4000, at(3, 3), 1000))
    check_gift(30_000, dt.date(YEAR, 4, 4), email="b@example.org")
    erased = card_gift("c@example.org", (1000, at(3, 3)))
    erased.email, erased.donor_data_erased_at = "", at(12, 1)
    erased.save()
    audit_rows = AuditEvent.objects.count()
    out = io.StringIO()

    call_command("donor_statements", "--year", str(YEAR), stdout=out)

    assert out.getvalue().strip() == (
        "2025 (dry run, nothing sent or written): 2 donors, 3 gifts, total $380.00; "
        "1 gifts skipped: their donors' data was erased under the retention rule, "
        "so no statement can be sent."
    )
    assert DonorStatementRun.objects.count() == 0
    assert DonorStatementSent.objects.count() == 0
    assert AuditEvent.objects.count() == audit_rows
    assert mail.outbox == []


def test_the_command_sends_and_prints_progress():
    card_gift("a@example.org", (5000, at(2, 2)))
    out = io.StringIO()

    call_command("donor_statements", "--year", str(YEAR), "--send", stdout=out)

    assert "2025: finished, 1 of 1 donors sent" in out.getvalue()
    assert len(mail.outbox) == 1
    call_command("donor_statements", "--year", str(YEAR), "--send", stdout=io.StringIO())
    assert len(mail.outbox) == 1


def test_the_staff_page_shows_a_runs_progress_to_the_roles_that_may_see_it(staff_client):
    for n in range(4):
        card_gift(f"d{n}@example.org", (1000, at(5, 1)))
    run = run_start(YEAR, chunk_size=2)
    run_chunk(run, chunk_size=2)
    url = reverse("donations:staff_statement_runs")

    page = staff_client("viewer").get(url)

    assert page.status_code == 200
    row = re.search(r'<tr id="run-2025">(.*?)</tr>', page.content.decode(), re.S).group(1)
    assert "<td>4</td>" in row and "<td>2</td>" in row and "50%" in row
    assert "under way" in row
    assert "@example.org" not in page.content.decode()
    assert staff_client().get(url).status_code == 403  # no role
    assert staff_client("bookkeeper").get(url).status_code == 200


def _token(client, url) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)


def test_the_staff_form_takes_the_donors_optional_details(staff_client):
    client = staff_client("bookkeeper")
    url = reverse("donations:staff_gift_new")
    page = client.get(url).content.decode()
    assert "Donor&#x27;s email (optional)" in page or "Donor's email (optional)" in page
    form = {"token": _token(client, url), "method": "check", "amount": "300"}
    form |= {"received_on": "2025-03-01", "reference": "88"}
    form |= {"donor_name": "Lu Check", "email": "lu@example.org", "language": "es"}

    assert client.post(url, form).status_code == 302

    gift = OfflineGift.objects.get()
    assert (gift.donor_name, gift.email, gift.language) == ("Lu Check", "lu@example.org", "es")
    # Personal data stays out of the books and the audit log.
    assert "lu@example.org" not in gift.transaction.memo
    recorded = AuditEvent.objects.get(action="offline_gift.recorded")
    assert "lu@example.org" not in str(recorded.details) and "Lu" not in str(recorded.details)
    # Without details, as before.
    other = {"token": _token(client, url), "method": "cash", "amount": "20"}
    assert client.post(url, other | {"received_on": "2025-03-02"}).status_code == 302
    assert OfflineGift.objects.filter(email="", donor_name="").count() == 1
    bad = {"token": _token(client, url), "method": "cash", "amount": "20", "email": "nope"}
    refused = client.post(url, bad | {"received_on": "2025-03-02"})
    assert refused.status_code == 400 and OfflineGift.objects.count() == 2


def test_offline_donors_details_are_erased_after_the_retention_period(settings, check_gift):
    settings.DONOR_DATA_RETENTION_DAYS = 400
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    old = check_gift(1000, dt.date(2025, 4, 1), donor_name="Old Donor", email="old@example.org")
    recent = check_gift(1000, dt.date(2025, 9, 1), donor_name="New Donor", email="new@example.org")
    anonymous = check_gift(1000, dt.date(2025, 1, 1))

    assert donor_data_erase(now=now) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    anonymous.refresh_from_db()
    assert (old.email, old.donor_name, old.donor_data_erased_at) == ("", "", now)
    assert old.amount == 1000 and old.transaction_id
    assert (recent.email, recent.donor_data_erased_at) == ("new@example.org", None)
    assert anonymous.donor_data_erased_at is None
    audit = AuditEvent.objects.get(action="donations.offline_donor_data_erased")
    assert audit.details["count"] == 1 and "old@example.org" not in str(audit.details)
