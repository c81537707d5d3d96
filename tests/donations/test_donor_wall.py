"""The opt-in donor wall: names and messages only after approval, amounts only by choice,
everything escaped, nothing else about the donor."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.cache import cache
from django.test import RequestFactory

from donations.models import Donation, DonationStatus
from donations.wall import wall_entries, wall_entries_approve, wall_entries_remove
from ledger.models import AuditEvent
from tests.donations.conftest import donation_form

pytestmark = pytest.mark.django_db


def _donation(n, **fields):
    values = {
        "frequency": "once",
        "status": DonationStatus.SUCCEEDED,
        "currency": "usd",
        "gift_amount": 4321,
        "amount": 4321,
        "show_on_wall": True,
        "display_name": f"Donor {n}",
        "message": f"Message {n}",
        "email": f"donor{n}@example.org",
        "donor_name": f"Legal Name {n}",
        "checkout_idempotency_key": f"checkout:wall{n}",
        **fields,
    }
    return Donation.objects.create(**values)


def _moderator():
    return User.objects.create_superuser(f"moderator-{User.objects.count()}", password=None)


def _approve(django_capture_on_commit_callbacks, queryset=None):
    with django_capture_on_commit_callbacks(execute=True):
        return wall_entries_approve(
            donations=queryset or Donation.objects.all(), actor=_moderator()
        )


def test_an_entry_appears_only_after_approval(client, django_capture_on_commit_callbacks):
    _donation(1)
    assert "Donor 1" not in client.get("/transparency/").content.decode()

    assert _approve(django_capture_on_commit_callbacks) == 1

    body = client.get("/transparency/").content.decode()
    assert "Donor 1" in body and "Message 1" in body
    assert AuditEvent.objects.filter(action="donation.wall_approved").count() == 1


def test_an_approval_reaches_a_process_that_does_not_share_this_cache(
    client, django_capture_on_commit_callbacks
):
    _donation(1)
    assert "Donor 1" not in client.get("/transparency/").content.decode()  # a copy is kept

    _approve(django_capture_on_commit_callbacks)
    cache.clear()  # as another process, with a local-memory cache of its own, sees it

    assert "Donor 1" in client.get("/transparency/").content.decode()


def test_amounts_emails_and_legal_names_stay_private(client, django_capture_on_commit_callbacks):
    _donation(1, gift_amount=987654, amount=987654)
    _donation(2, gift_amount=2500, amount=2500, show_amount=True, frequency="monthly")
    _approve(django_capture_on_commit_callbacks)

    body = client.get("/transparency/").content.decode()
    assert "$9,876.54" not in body  # not chosen
    assert "$25.00 a month" in body  # chosen
    for private in ("donor1@example.org", "donor2@example.org", "Legal Name 1", "Legal Name 2"):
        assert private not in body


def test_who_did_not_ask_or_whose_gift_failed_never_appears(
    client, django_capture_on_commit_callbacks
):
    _donation(1, show_on_wall=False)
    _donation(2, anonymous=True)
    _donation(3, status=DonationStatus.FAILED)
    _donation(4, status=DonationStatus.PENDING)
    _approve(django_capture_on_commit_callbacks)

    assert wall_entries() == []
    body = client.get("/transparency/").content.decode()
    assert not any(f"Donor {n}" in body for n in range(1, 5))


def test_names_and_messages_are_escaped(client, django_capture_on_commit_callbacks):
    _donation(1, display_name="<b>Ana</b>", message='<script>alert("x")</script>')
    _approve(django_capture_on_commit_callbacks)

    body = client.get("/transparency/").content.decode()
    assert "<script>alert" not in body and "<b>Ana</b>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_an_entry_can_be_taken_down(client, django_capture_on_commit_callbacks):
    donation = _donation(1)
    _approve(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        wall_entries_remove(donations=Donation.objects.filter(pk=donation.pk), actor=_moderator())

    assert "Donor 1" not in client.get("/transparency/").content.decode()
    donation.refresh_from_db()
    assert not donation.show_on_wall


def test_the_admin_action_approves_and_needs_the_right_to_moderate_the_wall():
    _donation(1)
    model_admin = admin.site._registry[Donation]
    request = RequestFactory().post("/admin/donations/donation/")
    request.user = User.objects.create_superuser("moderator", password="unused-here")
    request.session = {}
    request._messages = FallbackStorage(request)

    model_admin.approve_for_wall(request, Donation.objects.all())

    assert Donation.objects.get().wall_approved_at is not None
    viewer = User.objects.create_user("viewer", password="unused-here", is_staff=True)
    request.user = viewer
    assert not model_admin.has_moderate_wall_permission(request)


def test_the_donation_form_records_the_opt_in(client, sandbox):
    wall = {"show_on_wall": "on", "display_name": "Ana"}
    client.post("/donate/", donation_form(**wall, message="For everyone"))
    client.post("/donate/", donation_form(**wall, anonymous="on"))
    client.post("/donate/", donation_form(display_name="B"))

    walls = list(Donation.objects.order_by("created_at").values_list("show_on_wall", flat=True))
    assert walls == [True, False, False]
    assert Donation.objects.filter(wall_approved_at__isnull=False).count() == 0
