"""Staff lists, exports and pages show each role only what its work needs of the rows tied
to a case (ledger.casework.case_rows): a viewer gets months and no court, no instrument reference,
no ledger number; every CSV export is one audit row, and looking at a list is none."""

import csv
import datetime as dt
import io
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.casework.cases import Identity
from ledger.casework.disbursements import disbursement_approve, disbursement_pay
from ledger.models import AuditEvent
from tests.ledger.casework.conftest import STAFF_LISTS
from tests.ledger.conftest import deposit, open_case, record_return, request_disbursement

pytestmark = pytest.mark.django_db

COURT, REFERENCE, OUTCOME = "Fourth District", "CC-4471", "dismissed"
OPENED, PAID, RETURNED = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 17)
DAYS = ("2026-03-02", "2026-03-03", "2026-03-17")


@pytest.fixture
def fund(staff_user, field_keys):
    """One case in Hennepin's Fourth District: bail paid on 3 March by cashier's check
    CC-4471, a third of it back on 17 March, the rest outstanding; a second case closed."""
    manager, approver = staff_user("case_manager"), staff_user("approver")
    deposit(500_000)
    identity = Identity(name="Tamsin Oyelaran", docket_number="19-CR-26-88031")
    case = open_case(manager, identity, court=COURT, opened_on=OPENED)
    d = request_disbursement(manager, case, 150_000, method="cashiers_check", token="t-1")
    disbursement_approve(actor=approver, disbursement=d)
    disbursement_pay(actor=approver, disbursement=d, paid_on=PAID, instrument_reference=REFERENCE)
    record_return(staff_user("bookkeeper"), d, 50_000, on=RETURNED, token="r-1")
    waiting = request_disbursement(
        manager,
        case,
        4_000,
        purpose="support",
        payee_kind="immigration_office",
        method="online",
        token="t-2",
    )
    return SimpleNamespace(case=case, d=d, waiting=waiting)


def _csv(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def _export(client, name: str, **params) -> list[dict]:
    return _csv(client.get(reverse(name), {**params, "_export": "csv"}))


def _assert_no_day_court_or_reference(text: str) -> None:
    today = timezone.localdate().isoformat()
    for secret in (*DAYS, today, COURT, REFERENCE, OUTCOME):
        assert secret not in text


@pytest.mark.parametrize("name", STAFF_LISTS)
def test_a_viewers_export_has_no_court_no_reference_and_only_months(staff_client, fund, name):
    rows = _export(staff_client("viewer"), name)
    # The staff accounts' own events (set up, logged in) are no case rows: they keep their times.
    rows = [row for row in rows if row.get("Object type") != "user"]

    assert rows
    assert not {"Court", "Outcome", "Ledger no.", "Waiting"} & set(rows[0])
    _assert_no_day_court_or_reference(repr(rows))


def test_a_viewer_sees_outstanding_bail_by_the_month_and_its_age_bracket(staff_client, fund):
    (row,) = _export(staff_client("viewer"), "casework:outstanding")

    assert row["Paid on"] == "2026-03"
    assert row["Age"] == "180–364 days"
    assert row["Outstanding (USD)"] == "1000.00" and row["County"] == "Hennepin"


def test_the_roles_doing_the_work_keep_the_court_the_day_and_the_ledger_number(staff_client, fund):
    bookkeeper = staff_client("bookkeeper")

    (row,) = _export(bookkeeper, "casework:outstanding")
    assert row["Court"] == COURT and row["Paid on"] == "2026-03-03"
    assert row["Age"] == str((timezone.localdate() - PAID).days)
    (outcome,) = _export(bookkeeper, "casework:returns")
    assert outcome["Occurred on"] == "2026-03-17" and outcome["Ledger no."]
    (case,) = _export(staff_client("approver"), "casework:cases")
    assert case["Court"] == COURT and case["Opened on"] == "2026-03-02"


@pytest.mark.parametrize("name", STAFF_LISTS)
def test_a_viewers_lists_on_screen_show_months_too(staff_client, fund, name):
    page = staff_client("viewer").get(reverse(name))

    assert page.status_code == 200
    # The staff accounts' own events (set up, logged in) are no case rows: they keep their
    # times, written as everywhere else ('2026-03-04 09:15').
    rows = re.split(r"<tr\b", page.content.decode())
    _assert_no_day_court_or_reference("".join(r for r in rows if "<td >user</td>" not in r))


def test_the_case_and_disbursement_pages_show_a_viewer_months_and_no_court(staff_client, fund):
    viewer = staff_client("viewer")
    case_page = viewer.get(reverse("casework:case", args=[fund.case.public_id])).content
    d_page = viewer.get(reverse("casework:disbursement", args=[fund.d.pk])).content

    for page in (case_page.decode(), d_page.decode()):
        _assert_no_day_court_or_reference(page)
        assert "2026-03" in page
    assert "ledger no." not in d_page.decode().lower()
    approver_page = staff_client("approver").get(reverse("casework:disbursement", args=[fund.d.pk]))
    assert (
        REFERENCE in approver_page.content.decode()
        and "2026-03-03" in approver_page.content.decode()
    )


def test_a_viewer_can_filter_by_nothing_finer_than_the_month(staff_client, fund):
    viewer, bookkeeper = staff_client("viewer"), staff_client("bookkeeper")
    returns = reverse("casework:returns")

    assert 'name="occurred_on_after"' not in viewer.get(returns).content.decode()
    assert 'name="occurred_on_after"' in bookkeeper.get(returns).content.decode()
    # Ignored for the viewer: the one return still shows.
    assert len(_export(viewer, "casework:returns", occurred_on_after="2026-03-17")) == 1


def test_the_age_filter_counts_from_the_start_of_the_month_for_a_viewer(
    staff_client, fund, settings, monkeypatch
):
    # On 1 April the bail paid on 3 March is 29 days old, but 31 counted from 1 March.
    noon = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon)

    assert _export(staff_client("bookkeeper"), "casework:outstanding", older_than="30") == []
    assert len(_export(staff_client("viewer"), "casework:outstanding", older_than="30")) == 1


def test_a_viewers_audit_history_dates_case_events_by_the_month_only(staff_client, fund):
    rows = _export(
        staff_client("viewer"),
        "casework:audit",
        object_type="disbursement",
        object_id=str(fund.d.pk),
    )

    assert {row["Action"] for row in rows} >= {"disbursement.paid", "disbursement.return"}
    assert all(len(row["At"]) == len("2026-12") for row in rows)
    assert "sequence" not in repr(rows)
    full = _export(staff_client("approver"), "casework:audit", object_type="disbursement")
    assert any("sequence" in row["Details"] for row in full)


@pytest.mark.parametrize("role", ["viewer", "bookkeeper", "case_manager", "approver", "admin"])
def test_looking_at_any_list_writes_no_audit_row(staff_client, fund, role):
    client = staff_client(role)
    before = AuditEvent.objects.count()

    for name in STAFF_LISTS:
        assert client.get(reverse(name)).status_code == 200
        assert client.get(reverse(name), {"page": 1, "sort": "-id"}).status_code in (200, 404)

    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("name", STAFF_LISTS)
def test_each_csv_export_writes_exactly_one_audit_row(staff_client, fund, name):
    client = staff_client("viewer")
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    rows = _export(client, name)

    (event,) = AuditEvent.objects.exclude(pk__in=before)
    assert (event.action, event.object_type, event.actor) == (
        "case_rows.exported",
        "list",
        client.user,
    )
    assert event.details["rows"] == len(rows)
    assert event.details["roles"] == ["viewer"]
    assert event.details["format"] == "csv"
    assert event.details["columns"] == list(rows[0])


def test_an_export_audit_row_names_the_filters_but_a_docket_number_only_as_given(
    staff_client, fund
):
    client = staff_client("case_manager")

    rows = _export(client, "casework:cases", docket="19-CR-26-88031", county="hennepin")

    assert len(rows) == 1
    event = AuditEvent.objects.get(action="case_rows.exported")
    assert event.object_id == "cases"
    assert event.details["filters"] == {"county": "hennepin", "docket": "given"}
    assert event.details["roles"] == ["case_manager"]
    assert "88031" not in repr(event.details)


def test_an_export_format_the_pages_do_not_offer_shows_the_page_and_writes_nothing(
    staff_client, fund
):
    viewer = staff_client("viewer")
    before = AuditEvent.objects.count()

    response = viewer.get(reverse("casework:outstanding"), {"_export": "json"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert AuditEvent.objects.count() == before


def test_the_journal_lists_every_posting_for_the_bookkeeper(staff_client, fund):
    rows = _export(staff_client("bookkeeper"), "casework:journal", kind="disbursement")

    assert sorted(row["Account"] for row in rows) == ["assets:bail_outstanding", "assets:bank"]
    assert {row["Date"] for row in rows} == {"2026-03-03"}
    assert AuditEvent.objects.get(action="case_rows.exported").object_id == "journal"
