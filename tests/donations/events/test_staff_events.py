import datetime as dt

import pytest
from django.utils import timezone

from donations.models import EventStatus, StripeEvent
from ledger.models import AuditEvent
from tests.donations.conftest import charge_event

pytestmark = pytest.mark.django_db


def _event(n, status=EventStatus.PROCESSED, type_="charge.succeeded"):
    return StripeEvent.objects.create(
        event_id=f"evt_{n}",
        type=type_,
        stripe_created=timezone.now() - dt.timedelta(minutes=n),
        payload={"id": f"evt_{n}", "type": type_, "data": {"object": {"id": "cus_1"}}},
        status=status,
        last_error="StripeUnavailable: Stripe error 500" if status == EventStatus.FAILED else "",
    )


@pytest.fixture
def staff(staff_client):
    """A bookkeeper: reads the staff pages and retries events."""
    return staff_client("bookkeeper")


def test_staff_pages_need_a_staff_login(client, staff_client):
    for url in ("/staff/", "/staff/stripe/events/"):
        assert client.get(url)["Location"].startswith("/staff/login/?next=")
    outsider = staff_client()  # both factors, but no role
    assert outsider.get("/staff/stripe/events/").status_code == 403
    assert outsider.post("/staff/stripe/events/1/retry/").status_code == 403


def test_a_viewer_sees_events_but_cannot_retry_them(staff_client):
    event = _event(1, EventStatus.FAILED)
    viewer = staff_client("viewer")

    page = viewer.get("/staff/stripe/events/")

    assert "evt_1" in page.content.decode() and "Retry" not in page.content.decode()
    assert viewer.post(f"/staff/stripe/events/{event.pk}/retry/").status_code == 403
    event.refresh_from_db()
    assert event.status == EventStatus.FAILED


def test_staff_see_events_with_their_state_and_filter_them(staff):
    _event(1)
    _event(2, EventStatus.FAILED)
    _event(3, EventStatus.IGNORED, "customer.created")

    everything = staff.get("/staff/stripe/events/").content.decode()
    failed = staff.get("/staff/stripe/events/?status=failed").content.decode()

    assert all(f"evt_{n}" in everything for n in (1, 2, 3))
    assert "evt_2" in failed and "evt_1" not in failed
    assert "StripeUnavailable" in failed
    assert "Retry" in failed


def test_the_event_list_exports_csv_with_the_current_filter(staff):
    _event(1)
    _event(2, EventStatus.FAILED)

    response = staff.get("/staff/stripe/events/?status=failed&_export=csv")

    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "evt_2" in body and "evt_1" not in body
    assert "Retry" not in body


def test_the_event_list_costs_the_same_queries_for_many_events(
    staff, django_assert_max_num_queries
):
    for n in range(60):
        _event(n)
    # At most 5 for the page, and 5 for staff access: the session, the user, the verified
    # device, the roles, and saving the session's new idle expiry.
    with django_assert_max_num_queries(10):
        response = staff.get("/staff/stripe/events/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("evt_") > 20  # a full page of the events


def test_a_failed_event_is_retried_and_the_retry_is_audited(
    staff, sandbox, django_capture_on_commit_callbacks
):
    charge = sandbox.state.create_charge(2500, emit_events=False).charge
    event = charge_event("evt_failed", charge, status=EventStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/staff/stripe/events/{event.pk}/retry/")

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    audit = AuditEvent.objects.get(action="stripe_event.retry")
    assert audit.actor == staff.user and audit.object_id == "evt_failed"


def test_only_failed_events_can_be_retried(staff):
    event = _event(1)
    before = AuditEvent.objects.count()  # the staff member's own login is audited
    staff.post(f"/staff/stripe/events/{event.pk}/retry/")
    assert AuditEvent.objects.count() == before
