"""The statements' staff pages: the period form, the printable tables, the CSV and PDF
files, and who may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from ledger.models import AuditEvent, BailCase
from ledger.reports.activity import activity_by_court
from ledger.reports.dates import Period
from ledger.reports.files import pdf_bytes, pdf_text
from ledger.reports.statements import Books
from ledger.staff.roles import Role

pytestmark = pytest.mark.django_db

YEAR = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
YEAR_QUERY = {"from": "2025-01-01", "to": "2025-12-31"}
PAGES = (
    "reports:trial_balance",
    "reports:financial_position",
    "reports:activities",
    "reports:bail_roll_forward",
    "reports:activity_by_county",
    "reports:activity_by_court",
)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_trial_balance_page_shows_the_years_figures_with_a_totals_row(
    worked_year, staff_client
):
    response = staff_client(Role.BOOKKEEPER).get(reverse("reports:trial_balance"), YEAR_QUERY)

    page = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_from">From</label>' in page
    assert '<label for="id_to">To</label>' in page
    assert 'value="2025-01-01"' in page and 'value="2025-12-31"' in page
    assert '<th scope="col" class="num">Debits</th>' in page
    assert '<tfoot><tr class="total"><th scope="row">Total</th>' in page
    assert "$9,740.00" in page  # the debits, and the credits, of the year
    assert "Holds: Debits equal credits" in page and "Fails" not in page
    assert "css/reports.css" in page


def test_each_statement_has_its_page_for_a_bookkeeper(worked_year, staff_client):
    client = staff_client(Role.BOOKKEEPER)
    titles = {}
    for name in PAGES:
        response = client.get(reverse(name), YEAR_QUERY)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert "<tfoot>" in page and "<thead>" in page, name
        titles[name] = page.split("<h1>")[1].split("</h1>")[0]
    assert titles["reports:activity_by_court"] == "Bail activity by court"
    assert "Fourth District" in client.get(reverse("reports:activity_by_court"), YEAR_QUERY).text


def test_the_index_links_every_statement_for_the_period(worked_year, staff_client):
    response = staff_client(Role.ADMIN).get(reverse("reports:index"), YEAR_QUERY)

    page = response.content.decode()
    for name in PAGES:
        assert f'{reverse(name)}?from=2025-01-01&amp;to=2025-12-31&amp;format=csv"' in page


def test_without_a_period_the_page_shows_the_year_to_date(staff_client, post):
    post([("assets:bank", 4_200), ("net_assets:opening_balance", -4_200)], kind="opening")

    response = staff_client(Role.BOOKKEEPER).get(reverse("reports:trial_balance"))

    assert response.status_code == 200
    assert "$42.00" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2025-12-31", "to": "2025-01-01"}, "is after the to date"),
        ({"from": "2025-02-30", "to": "2025-12-31"}, "Enter a date as YYYY-MM-DD."),
        ({"from": "2025-01-01"}, "This field is required."),
    ],
)
def test_a_bad_period_is_a_form_error_and_no_statement(staff_client, query, message):
    client = staff_client(Role.BOOKKEEPER)

    response = client.get(reverse("reports:activities"), query)
    download = client.get(reverse("reports:activities"), query | {"format": "csv"})

    assert response.status_code == download.status_code == 400
    assert message in response.content.decode()
    assert "<table" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="reports.exported").exists()


def test_the_csv_names_its_units_and_its_dates(worked_year, staff_client):
    client = staff_client(Role.BOOKKEEPER)

    response = client.get(reverse("reports:trial_balance"), YEAR_QUERY | {"format": "csv"})

    rows = _csv(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="trial-balance_2025-01-01_2025-12-31.csv"'
    )
    assert rows[0] == [
        "from",
        "to",
        "row",
        "account",
        "name",
        "type",
        "opening balance (USD)",
        "debits (USD)",
        "credits (USD)",
        "closing balance (USD)",
    ]
    bank = next(row for row in rows if row[3] == "assets:bank")
    assert bank == [
        "2025-01-01",
        "2025-12-31",
        "line",
        "assets:bank",
        "Bank account",
        "Asset",
        "5000.00",
        "3190.00",
        "4800.00",
        "3390.00",
    ]
    assert rows[-1][2:4] == ["total", "Total"]
    assert rows[-1][-4:] == ["0.00", "9740.00", "9740.00", "0.00"]


def test_a_download_is_audited_with_the_period_and_the_role(worked_year, staff_client):
    client = staff_client(Role.ADMIN)

    client.get(reverse("reports:activity_by_court"), YEAR_QUERY | {"format": "csv"})

    event = AuditEvent.objects.get(action="reports.exported")
    assert (event.object_type, event.object_id) == ("report", "activity-by-court")
    assert event.details == {
        "from": "2025-01-01",
        "to": "2025-12-31",
        "format": "csv",
        "roles": ["admin"],
    }


def test_a_court_named_like_a_formula_is_text_in_the_csv(worked_year, staff_client):
    BailCase.objects.filter(court="Second District").update(court='=HYPERLINK("http://x")')

    response = staff_client(Role.BOOKKEEPER).get(
        reverse("reports:activity_by_court"), YEAR_QUERY | {"format": "csv"}
    )

    courts = [row[3] for row in _csv(response)[1:]]
    assert '\'=HYPERLINK("http://x")' in courts
    assert not any(court.startswith("=") for court in courts)


def test_the_pdf_is_a_pdf_named_for_the_statement_and_period(worked_year, staff_client):
    response = staff_client(Role.BOOKKEEPER).get(
        reverse("reports:financial_position"), YEAR_QUERY | {"format": "pdf"}
    )

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "financial-position_2025-01-01_2025-12-31.pdf" in response["Content-Disposition"]


def test_the_pdf_prints_names_outside_its_font(worked_year):
    court = "Tribunal de Peñalosa — 東京"
    BailCase.objects.filter(court="Fourth District").update(court=court)
    report = activity_by_court(Books(YEAR))

    assert court in [row.cells[0] for row in report.rows]
    assert pdf_text(court) == "Tribunal de Peñalosa — ??"
    assert pdf_bytes(report).startswith(b"%PDF-")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CASE_MANAGER])
def test_roles_without_the_journal_see_no_statement(worked_year, staff_client, role):
    client = staff_client(role)

    for name in ("reports:index", *PAGES):
        page = client.get(reverse(name), YEAR_QUERY)
        download = client.get(reverse(name), YEAR_QUERY | {"format": "csv"})
        assert (page.status_code, download.status_code) == (403, 403), name
        assert "Hennepin" not in page.content.decode() + download.content.decode()
    assert not AuditEvent.objects.filter(action="reports.exported").exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("reports:trial_balance"), YEAR_QUERY)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=/staff/reports/trial-balance/")


def test_the_staff_home_links_the_statements_for_those_who_may_read_them(staff_client):
    link = reverse("reports:index")

    assert link in staff_client(Role.BOOKKEEPER).get("/staff/").content.decode()
    assert link not in staff_client(Role.VIEWER).get("/staff/").content.decode()
