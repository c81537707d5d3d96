"""A case's next court date: set when the case opens or later, changed and cleared on its
own page, audited without the date, shown only to roles that see a case's exact dates,
counted on the staff home, and erased by the retention purge."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.books.fund_time import fund_today
from ledger.casework.cases import (
    InvalidCase,
    case_close,
    case_set_court_date,
    cases_purge_identifying_data,
)
from ledger.casework.disbursements import disbursement_cancel
from ledger.exceptions import NotPermitted
from ledger.models import AuditEvent, BailCase
from tests.ledger.casework.conftest import PERSON
from tests.ledger.conftest import open_case, request_disbursement

pytestmark = pytest.mark.django_db

OPENED = dt.date(2026, 3, 2)


@pytest.fixture
def manager(person):
    return person("case_manager")


@pytest.fixture
def case(manager, field_keys):
    return open_case(manager, PERSON, court="Fourth District", opened_on=OPENED)


def _soon(days: int = 3) -> dt.date:
    return fund_today() + dt.timedelta(days=days)


def _court_date_events(case) -> list[dict]:
    events = AuditEvent.objects.filter(
        action="case.court_date_changed", object_id=str(case.public_id)
    )
    return [e.details for e in events.order_by("id")]


# The service --------------------------------------------------------------------------------


def test_a_court_date_is_set_changed_and_cleared_and_each_change_audited_without_it(manager, case):
    first, second = _soon(3), _soon(10)

    case_set_court_date(actor=manager, case=case, next_court_date=first)
    case_set_court_date(actor=manager, case=case, next_court_date=first)  # no change
    case_set_court_date(actor=manager, case=case, next_court_date=second)
    assert BailCase.objects.get(pk=case.pk).next_court_date == second
    case_set_court_date(actor=manager, case=case, next_court_date=None)

    assert BailCase.objects.get(pk=case.pk).next_court_date is None
    events = _court_date_events(case)
    assert events == [{"date_set": True}, {"date_set": True}, {"date_set": False}]
    text = repr(events)
    assert first.isoformat() not in text and second.isoformat() not in text


def test_a_case_can_open_with_its_court_date(manager, field_keys):
    case = open_case(manager, PERSON, next_court_date=_soon())

    assert BailCase.objects.get(pk=case.pk).next_court_date == _soon()
    created = AuditEvent.objects.get(action="case.created", object_id=str(case.public_id))
    assert _soon().isoformat() not in repr(created.details)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (OPENED - dt.timedelta(days=1), "before the case opened"),
        (dt.date(fund_today().year + 6, 1, 1), "years ahead"),
        ("2026-12-24", "must be a date"),
        (timezone.now(), "must be a date"),
    ],
)
def test_a_wrong_court_date_is_refused_and_nothing_changes(manager, case, value, message):
    case_set_court_date(actor=manager, case=case, next_court_date=_soon())

    with pytest.raises(InvalidCase, match=message):
        case_set_court_date(actor=manager, case=case, next_court_date=value)

    assert BailCase.objects.get(pk=case.pk).next_court_date == _soon()
    assert len(_court_date_events(case)) == 1


def test_closing_a_case_clears_its_court_date(manager, case):
    case_set_court_date(actor=manager, case=case, next_court_date=_soon())

    case_close(actor=manager, case=case, closed_on=OPENED)

    assert BailCase.objects.get(pk=case.pk).next_court_date is None
    closed = AuditEvent.objects.get(action="case.closed", object_id=str(case.public_id))
    assert closed.details == {"court_date_cleared": True}


def test_a_closed_cases_court_date_cannot_change(manager, case):
    case_close(actor=manager, case=case, closed_on=OPENED)

    with pytest.raises(InvalidCase, match="closed"):
        case_set_court_date(actor=manager, case=case, next_court_date=_soon())

    assert BailCase.objects.get(pk=case.pk).next_court_date is None


@pytest.mark.parametrize("role", ["viewer", "bookkeeper", "approver"])
def test_only_those_who_manage_cases_set_the_court_date(person, case, role):
    with pytest.raises(NotPermitted):
        case_set_court_date(actor=person(role), case=case, next_court_date=_soon())

    assert BailCase.objects.get(pk=case.pk).next_court_date is None


def test_the_retention_purge_erases_the_court_date_and_the_payee_name(manager, case, settings):
    case_set_court_date(actor=manager, case=case, next_court_date=_soon())
    d = request_disbursement(manager, case, 5_000, payee_name="Fourth District Clerk")
    disbursement_cancel(actor=manager, disbursement=d)
    case_close(actor=manager, case=case, closed_on=OPENED)

    later = timezone.now() + dt.timedelta(days=settings.CASE_PII_RETENTION_DAYS + 2)
    assert cases_purge_identifying_data(now=later) == 1

    assert BailCase.objects.get(pk=case.pk).next_court_date is None
    d.refresh_from_db()
    assert d.payee_name == ""
    event = AuditEvent.objects.get(action="case.identifying_data_purged")
    assert "bailcase.next_court_date" in event.details["erased"]
    assert "disbursement.payee_name" in event.details["erased"]


# The pages ----------------------------------------------------------------------------------


def _case_url(case) -> str:
    return reverse("casework:case", args=[case.public_id])


def _court_date_url(case) -> str:
    return reverse("casework:case_court_date", args=[case.public_id])


def test_a_case_manager_sets_the_court_date_on_its_page(staff_client, case):
    client = staff_client("case_manager")
    assert 'type="date"' in client.get(_court_date_url(case)).content.decode()

    response = client.post(_court_date_url(case), {"next_court_date": _soon().isoformat()})

    assert response.status_code == 302 and response["Location"] == _case_url(case)
    page = client.get(_case_url(case)).content.decode()
    assert "Court date saved." in page
    assert f'<dd id="next-court-date">{_soon().isoformat()} · <a href' in page


def test_an_empty_court_date_clears_it(staff_client, manager, case):
    case_set_court_date(actor=manager, case=case, next_court_date=_soon())

    response = staff_client("case_manager").post(_court_date_url(case), {"next_court_date": ""})

    assert response.status_code == 302
    assert BailCase.objects.get(pk=case.pk).next_court_date is None


@pytest.mark.parametrize(
    ("value", "message"),
    [("24/12/2026", "Enter a valid date"), ("2026-03-01", "before the case opened")],
)
def test_a_bad_court_date_on_the_page_is_refused_with_a_reason(staff_client, case, value, message):
    response = staff_client("case_manager").post(_court_date_url(case), {"next_court_date": value})

    assert response.status_code == 400 and message in response.content.decode()
    assert BailCase.objects.get(pk=case.pk).next_court_date is None


def test_the_new_case_form_takes_the_court_date(staff_client, field_keys):
    client = staff_client("case_manager")
    form = {
        "county": "Hennepin",
        "bail_type": "criminal_bail",
        "opened_on": "2026-03-02",
        "next_court_date": _soon().isoformat(),
    }

    response = client.post(reverse("casework:case_new"), form)

    assert response.status_code == 302
    assert BailCase.objects.get().next_court_date == _soon()


@pytest.mark.parametrize(
    ("role", "sees_it", "may_change_it"),
    [
        ("viewer", False, False),
        ("bookkeeper", True, False),
        ("approver", True, False),
        ("case_manager", True, True),
    ],
)
def test_only_roles_that_see_exact_dates_see_the_court_date(
    staff_client, manager, case, role, sees_it, may_change_it
):
    case_set_court_date(actor=manager, case=case, next_court_date=_soon())

    page = staff_client(role).get(_case_url(case)).content.decode()

    assert ("Next court date" in page) == sees_it
    assert (_soon().isoformat() in page) == sees_it
    assert (f"{_soon():%Y-%m}" in page) == sees_it  # not even the month (it opened in March)
    assert (_court_date_url(case) in page) == may_change_it


def test_the_staff_home_counts_court_dates_this_week_for_those_who_see_them(
    staff_client, manager, case, field_keys
):
    case_set_court_date(actor=manager, case=case, next_court_date=_soon(2))
    later = open_case(manager, PERSON, opened_on=OPENED)
    case_set_court_date(actor=manager, case=later, next_court_date=_soon(20))

    approver_home = staff_client("approver").get("/staff/").content.decode()
    viewer_home = staff_client("viewer").get("/staff/").content.decode()

    assert 'id="court-dates-soon">1 court date in the next 7 days</a>' in approver_home
    assert "court-dates-soon" not in viewer_home


@pytest.mark.parametrize("role, sees_it", [("viewer", False), ("approver", True)])
def test_the_cases_list_shows_the_court_date_to_roles_that_see_exact_dates(
    staff_client, manager, case, role, sees_it
):
    case_set_court_date(actor=manager, case=case, next_court_date=_soon())
    client = staff_client(role)

    page = client.get(reverse("casework:cases")).content.decode()
    csv_text = client.get(reverse("casework:cases"), {"_export": "csv"}).content.decode()

    assert ("Next court date" in page) == sees_it
    assert (_soon().isoformat() in page) == sees_it
    assert ("Next court date" in csv_text.splitlines()[0]) == sees_it
    assert (_soon().isoformat() in csv_text) == sees_it
