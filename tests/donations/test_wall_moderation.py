"""The staff page that moderates the donor wall: entries waiting shown as the public would
read them, amounts in dollars, several approved or removed in one go, bad choices refused
without changing anything, and only for those who may moderate."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from donations.models import Donation, DonationStatus
from donations.wall import wall_entries_approve, wall_entries_remove
from ledger.exceptions import NotPermitted
from ledger.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/staff/wall/"


def _donation(n: int, **fields) -> Donation:
    values = {
        "frequency": "once",
        "status": DonationStatus.SUCCEEDED,
        "currency": "usd",
        "gift_amount": 25_000,
        "amount": 25_000,
        "show_on_wall": True,
        "display_name": f"Donor {n}",
        "message": f"Message {n}",
        "email": f"donor{n}@example.org",
        "donor_name": f"Legal Name {n}",
        "checkout_idempotency_key": f"checkout:moderation{n}",
        **fields,
    }
    return Donation.objects.create(**values)


def _shown(n: int, **fields) -> Donation:
    return _donation(n, wall_approved_at=timezone.now(), **fields)


def _approved(*donations: Donation) -> list[bool]:
    return [Donation.objects.get(pk=d.pk).wall_approved_at is not None for d in donations]


@pytest.fixture
def moderator(staff_client):
    return staff_client("admin")


def test_the_page_shows_entries_waiting_as_the_public_would_read_them(moderator):
    _donation(
        1,
        display_name="<b>Ana</b>\u200b",
        message='<script>alert("x")</script>',
        frequency="monthly",
        show_amount=True,
    )
    Donation.objects.filter(display_name__startswith="<b>").update(
        created_at=dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)
    )

    body = moderator.get(URL).content.decode()

    assert "Waiting for approval: 1" in body
    assert "&lt;b&gt;Ana&lt;/b&gt;</label>" in body  # escaped, and the zero width space gone
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "$250.00 a month (shown)" in body and "25000" not in body
    assert "2026-03-04" in body
    assert "donor1@example.org" not in body and "Legal Name 1" not in body


def test_only_entries_that_could_appear_are_waiting(moderator):
    _donation(1)
    _donation(2, anonymous=True)
    _donation(3, show_on_wall=False)
    _donation(4, status=DonationStatus.PENDING)
    _shown(5)

    body = moderator.get(URL).content.decode()

    waiting, shown = body.split('id="shown"')
    assert "Waiting for approval: 1" in waiting and "Donor 1" in waiting
    assert not any(f"Donor {n}" in waiting for n in (2, 3, 4, 5))
    assert "Donor 5" in shown and "Donor 1" not in shown
    home = moderator.get("/staff/").content.decode()
    assert '<a href="/staff/wall/" id="wall-waiting">1 donor wall entry waiting' in home


def test_several_entries_are_approved_in_one_post_and_each_is_audited(
    moderator, django_capture_on_commit_callbacks, client
):
    first, second, third = _donation(1), _donation(2), _donation(3)

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator.post(
            URL, {"action": "approve", "entries": [str(first.public_id), str(second.public_id)]}
        )

    assert response.status_code == 302 and response["Location"] == URL
    assert _approved(first, second, third) == [True, True, False]
    audited = AuditEvent.objects.filter(action="donation.wall_approved")
    assert sorted(e.object_id for e in audited) == sorted(
        [str(first.public_id), str(second.public_id)]
    )
    assert all(e.details == {} for e in audited)
    assert "2 entries approved" in moderator.get(URL).content.decode()
    public = client.get("/transparency/").content.decode()
    assert "Donor 1" in public and "Donor 2" in public and "Donor 3" not in public


def test_entries_waiting_can_be_declined_and_entries_shown_removed(moderator):
    waiting, shown, kept = _donation(1), _shown(2), _shown(3)

    moderator.post(URL, {"action": "remove", "entries": [str(waiting.public_id)]})
    moderator.post(URL, {"action": "remove", "entries": [str(shown.public_id)]})

    for donation in (waiting, shown):
        donation.refresh_from_db()
        assert not donation.show_on_wall and donation.wall_approved_at is None
    assert _approved(kept) == [True]
    assert AuditEvent.objects.filter(action="donation.wall_removed").count() == 2
    body = moderator.get(URL).content.decode()
    assert "No entry is waiting." in body and "Donor 3" in body and "Donor 2" not in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "approve"}, "Choose at least one entry"),
        ({"action": "approve", "entries": ["not-an-id"]}, "not one of this page"),
        ({"action": "approve", "entries": ["00000000-0000-0000-0000-000000000001"]}, "any more"),
        ({"action": "publish", "entries": ["WAITING"]}, "Choose approve or remove"),
        ({"entries": ["WAITING"]}, "Choose approve or remove"),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(moderator, data, message):
    waiting = _donation(1)
    entries = [str(waiting.public_id) if e == "WAITING" else e for e in data.get("entries", [])]

    response = moderator.post(URL, {**data, "entries": entries})

    assert response.status_code == 400
    error = re.search(
        r'<p class="error" role="alert" id="wall-error">([^<]*)</p>', response.content.decode()
    )
    assert error and message in error.group(1) and "nothing was changed" in error.group(1)
    assert _approved(waiting) == [False] and Donation.objects.get().show_on_wall
    assert not AuditEvent.objects.filter(action__startswith="donation.wall_").exists()


def test_one_entry_already_decided_refuses_the_whole_approval(moderator):
    waiting, already = _donation(1), _shown(2)

    response = moderator.post(
        URL, {"action": "approve", "entries": [str(waiting.public_id), str(already.public_id)]}
    )

    assert response.status_code == 400
    assert _approved(waiting) == [False]
    assert not AuditEvent.objects.filter(action="donation.wall_approved").exists()


@pytest.mark.parametrize("role", ["viewer", "bookkeeper", "case_manager", "approver"])
def test_other_roles_cannot_moderate(staff_client, role):
    waiting = _donation(1)
    client = staff_client(role)

    assert client.get(URL).status_code == 403
    response = client.post(URL, {"action": "approve", "entries": [str(waiting.public_id)]})

    assert response.status_code == 403 and _approved(waiting) == [False]
    home = client.get("/staff/").content.decode()
    assert "1 donor wall entry waiting for approval" in home and 'id="wall-waiting"' not in home


def test_the_services_check_the_capability_too(staff_user):
    waiting, shown = _donation(1), _shown(2)

    with pytest.raises(NotPermitted):
        wall_entries_approve(donations=Donation.objects.all(), actor=staff_user("bookkeeper"))
    with pytest.raises(NotPermitted):
        wall_entries_remove(donations=Donation.objects.all(), actor=None)

    assert _approved(waiting, shown) == [False, True]


def test_the_page_costs_a_fixed_number_of_queries(moderator, django_assert_max_num_queries):
    for n in range(30):
        _donation(n)
        _shown(100 + n)
    # 4 for the page (the two lists and the count, the messages none), 6 for staff access.
    with django_assert_max_num_queries(10):
        response = moderator.get(URL)

    assert response.status_code == 200 and response.content.decode().count('name="entries"') == 60
