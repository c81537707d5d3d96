import pytest
from django.utils import timezone

from donations.models import DiscrepancyStatus, ReconciliationRun, RunStatus
from ledger.models import AuditEvent
from tests.donations.conftest import open_discrepancy

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(staff_client):
    """A bookkeeper: reads the staff pages and resolves discrepancies."""
    return staff_client("bookkeeper")


def _run(status=RunStatus.SUCCEEDED, **fields):
    return ReconciliationRun.objects.create(
        kind="all", status=status, finished_at=timezone.now(), **fields
    )


def test_the_staff_home_shows_the_last_successful_run(staff):
    _run(checked=120, posted=7)
    _run(RunStatus.FAILED)

    body = staff.get("/staff/").content.decode()

    assert "Last successful run" in body and "checked 120, posted 7" in body


def test_runs_and_open_discrepancies_are_listed_with_filters_and_csv(staff):
    run = _run()
    open_discrepancy(run)
    open_discrepancy(run, kind="payout_sum", status=DiscrepancyStatus.RESOLVED)

    runs = staff.get("/staff/reconciliation/runs/").content.decode()
    open_only = staff.get("/staff/reconciliation/discrepancies/?status=open").content.decode()
    csv = staff.get("/staff/reconciliation/discrepancies/?status=open&_export=csv")

    assert "succeeded" in runs.lower()
    assert "stripe_balance" in open_only and "payout_sum" not in open_only
    assert csv["Content-Type"].startswith("text/csv")
    assert "Expected (USD),Found (USD)" in csv.content.decode()
    assert "10.00,9.50" in csv.content.decode()


def test_resolving_needs_a_note_and_is_audited(staff):
    discrepancy = open_discrepancy(_run())

    staff.post(f"/staff/reconciliation/discrepancies/{discrepancy.pk}/resolve/", {"note": " "})
    discrepancy.refresh_from_db()
    assert discrepancy.status == DiscrepancyStatus.OPEN

    staff.post(
        f"/staff/reconciliation/discrepancies/{discrepancy.pk}/resolve/",
        {"note": "Reversed the manual fee entry #412."},
    )
    discrepancy.refresh_from_db()
    assert discrepancy.status == DiscrepancyStatus.RESOLVED
    assert discrepancy.resolved_by == staff.user
    assert discrepancy.resolution_note == "Reversed the manual fee entry #412."
    assert AuditEvent.objects.get(action="discrepancy.resolved").actor == staff.user


def test_a_viewer_cannot_resolve_aopen_discrepancy(staff_client):
    discrepancy = open_discrepancy(_run())
    viewer = staff_client("viewer")

    listing = viewer.get("/staff/reconciliation/discrepancies/").content.decode()
    response = viewer.post(
        f"/staff/reconciliation/discrepancies/{discrepancy.pk}/resolve/", {"note": "Done."}
    )

    assert "stripe_balance" in listing and ">Resolve</button>" not in listing
    assert response.status_code == 403
    discrepancy.refresh_from_db()
    assert discrepancy.status == DiscrepancyStatus.OPEN


def test_reconciliation_pages_need_a_staff_login(client):
    for url in ("/staff/reconciliation/runs/", "/staff/reconciliation/discrepancies/"):
        assert client.get(url)["Location"].startswith("/staff/login/?next=")
    response = client.post("/staff/reconciliation/discrepancies/1/resolve/")
    assert response["Location"].startswith("/staff/login/?next=")


def test_the_lists_cost_a_fixed_number_of_queries(staff, django_assert_max_num_queries):
    run = _run()
    for n in range(40):
        _run()
        open_discrepancy(run, kind=f"kind_{n}")
    # At most 5 for the page, and 6 for staff access: the session, the user, the verified
    # device, the roles, whether money rights are paused, and saving the session's new
    # idle expiry.
    with django_assert_max_num_queries(11):
        runs = staff.get("/staff/reconciliation/runs/")
    with django_assert_max_num_queries(11):
        discrepancies = staff.get("/staff/reconciliation/discrepancies/")

    assert runs.status_code == 200 and discrepancies.status_code == 200
    assert runs.content.decode().count("<tr") > 20
    assert "kind_0" in discrepancies.content.decode() or "kind_39" in discrepancies.content.decode()


def test_the_staff_home_says_what_needs_doing_and_where_the_money_is(
    staff, post, staff_user, settings
):
    from cryptography.fernet import Fernet

    from ledger.casework.cases import Identity
    from tests.ledger.conftest import open_case, request_disbursement

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    post([("assets:bank", 120_000), ("income:donations", -120_000)], kind="offline_gift")
    post([("assets:bail_outstanding", 50_000), ("assets:bank", -50_000)], kind="disbursement")
    manager = staff_user("case_manager")
    request_disbursement(manager, open_case(manager, Identity(name="Ana Example")), 10_000)
    open_discrepancy(_run(), kind="kind_x")

    body = staff.get("/staff/").content.decode()

    assert "1 request waiting for approval</a>, the oldest since" in body
    assert "1 open discrepancy</a>" in body
    assert "0 bank statement lines not matched yet" in body
    assert "Donations are open." in body
    assert '<td>Bank</td><td class="money">$700.00</td>' in body
    assert '<td>Held by courts as bail</td><td class="money">$500.00</td>' in body


def test_reconciliation_can_be_started_now_by_those_who_reconcile(staff, staff_client):
    response = staff.post("/staff/reconciliation/run-now/")

    assert response.status_code == 302 and response["Location"].endswith("/runs/")
    assert ReconciliationRun.objects.exists()  # ran in-process here: through a worker live
    assert staff_client("viewer").post("/staff/reconciliation/run-now/").status_code == 403
    assert 'id="reconcile-now"' not in staff_client("viewer").get("/staff/").content.decode()
