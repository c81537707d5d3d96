"""The staff lists of cases, disbursements, outcomes, the audit history and the journal:
pages, a totals row over every filtered row (not just the page), a text search that finds
no one by what a role may not see, and CSVs written by the one convention."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.urls import reverse

from ledger.casework.cases import Identity
from ledger.casework.disbursements import disbursement_approve, disbursement_pay
from ledger.models import AuditEvent
from tests.ledger.casework.conftest import CLUES, PERSON
from tests.ledger.conftest import deposit, open_case, record_return, request_disbursement

pytestmark = pytest.mark.django_db

OTHER = Identity(name="Someone Else", docket_number="CR-2026-000001")
THIRD = Identity(name="A Third Person", docket_number="CR-2026-000777")


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def _footer(page: str) -> str:
    return re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)


@pytest.fixture
def books(staff_user, field_keys):
    """Three cases in three counties, each with paid bail ($10, $20, $40); the first
    partly returned ($4)."""
    manager, approver = staff_user("case_manager"), staff_user("approver")
    cases = [
        open_case(manager, PERSON, court="Fourth District"),
        open_case(manager, OTHER, county="Ramsey", court="Second District"),
        open_case(manager, THIRD, county="Dakota", opened_on=dt.date(2026, 3, 2)),
    ]
    deposit(100_000)
    made = []
    for n, (case, amount) in enumerate(zip(cases, (1_000, 2_000, 4_000), strict=True)):
        d = request_disbursement(manager, case, amount, token=f"t{n}")
        disbursement_approve(actor=approver, disbursement=d)
        disbursement_pay(actor=approver, disbursement=d, paid_on=dt.date(2026, 3, 3 + n))
        made.append(d)
    record_return(staff_user("bookkeeper"), made[0], 400, on=dt.date(2026, 3, 9), token="r")
    return cases, made


# Each list with a money column, its money heading and the total of the three rows.
MONEY_LISTS = [
    ("casework:disbursements", "Amount (USD)", "$70.00"),
    ("casework:outstanding", "Outstanding (USD)", "$66.00"),
]


@pytest.mark.parametrize(
    "name",
    ["casework:cases", "casework:disbursements", "casework:outstanding", "casework:audit"],
)
def test_every_list_pages_and_says_which_rows_it_shows(staff_client, books, name):
    client = staff_client("bookkeeper")

    first = client.get(reverse(name), {"per_page": 2}).content.decode()
    last = client.get(reverse(name), {"per_page": 2, "page": 99}).content.decode()

    assert re.search(r"Rows 1–2 of (\d+)", first)
    count = int(re.search(r"Rows 1–2 of (\d+)", first).group(1))
    assert count >= 3
    assert f"of {count}</p>" in last  # a page past the end shows the last one
    assert f"{count} rows" in _footer(first)


@pytest.mark.parametrize(("name", "heading", "total"), MONEY_LISTS)
def test_the_totals_row_sums_every_filtered_row_not_just_the_page(
    staff_client, books, name, heading, total
):
    client = staff_client("bookkeeper")

    page = client.get(reverse(name), {"per_page": 1}).content.decode()
    ramsey = client.get(reverse(name), {"per_page": 1, "county": "Ramsey"}).content.decode()

    assert total in _footer(page) and "Total, 3 rows" in _footer(page)
    assert "$20.00" in _footer(ramsey) and "Total, 1 row" in _footer(ramsey)


def test_the_returns_total_each_amount_and_the_journal_its_postings(staff_client, books):
    client = staff_client("bookkeeper")

    returns = _footer(client.get(reverse("casework:returns")).content.decode())
    journal = client.get(reverse("casework:journal"), {"account": "assets:bail"}).content
    bail_posted = _footer(journal.decode())

    assert "$4.00" in returns and "Total, 1 row" in returns
    assert "$66.00" in bail_posted  # 10 + 20 + 40 paid out, 4 back


def test_a_case_is_found_by_docket_however_it_is_typed_and_by_id_county_and_court(
    staff_client, books
):
    (case, other, third), _ = books
    manager = staff_client("case_manager")
    url = reverse("casework:cases")

    def found(role_client, q):
        return {row["Case"] for row in _csv(role_client.get(url, {"q": q, "_export": "csv"}))}

    assert found(manager, " cr 2026 004417 ") == {str(case.public_id)}
    assert found(manager, "CR-2026") == set()  # a keyed hash: exact numbers only
    assert found(manager, str(other.public_id)[:8].upper()) == {str(other.public_id)}
    assert found(manager, "dakota") == {str(third.public_id)}
    assert found(manager, "second district") == {str(other.public_id)}
    viewer = staff_client("viewer")
    assert found(viewer, "CR-2026-004417") == set()  # no docket search without view_identity
    assert found(viewer, "second district") == set()  # nor by a court they may not see
    assert found(viewer, "ramsey") == {str(other.public_id)}


def test_a_disbursement_is_found_by_number_case_and_county(staff_client, books):
    (case, _other, _third), (d1, d2, d3) = books
    client = staff_client("bookkeeper")

    def numbers(q):
        rows = _csv(client.get(reverse("casework:disbursements"), {"q": q, "_export": "csv"}))
        return {int(row["No."]) for row in rows}

    assert numbers(str(d2.pk)) == {d2.pk}
    assert numbers(str(case.public_id)[:8]) == {d1.pk}
    assert numbers("Dakota") == {d3.pk}
    assert numbers(PERSON.name) == set()


def test_the_audit_history_and_the_journal_are_searchable(staff_client, books):
    _, (d1, _d2, _d3) = books
    client = staff_client("bookkeeper")

    audit = _csv(client.get(reverse("casework:audit"), {"q": "approved", "_export": "csv"}))
    journal = _csv(
        client.get(reverse("casework:journal"), {"q": "opening balance", "_export": "csv"})
    )

    assert audit and all("approved" in row["Action"] for row in audit)
    assert len(journal) == 2 and {row["Account"] for row in journal} == {
        "assets:bank",
        "net_assets:opening_balance",
    }


def test_a_search_is_audited_with_an_export_only_as_given(staff_client, books):
    staff_client("case_manager").get(
        reverse("casework:cases"), {"q": PERSON.docket_number, "_export": "csv"}
    )

    exported = AuditEvent.objects.get(action="case_rows.exported")
    assert exported.details["filters"] == {"q": "given"} and exported.details["rows"] == 1


def test_the_csv_names_its_currency_and_writes_iso_dates_blanks_and_plain_amounts(
    staff_client, books
):
    rows = _csv(staff_client("bookkeeper").get(reverse("casework:disbursements") + "?_export=csv"))
    row = next(r for r in rows if r["Amount (USD)"] == "10.00")

    assert "Amount" not in row
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", row["Requested at"])
    assert row["Paid on"] == "2026-03-03"
    viewer_rows = _csv(
        staff_client("viewer").get(reverse("casework:disbursements"), {"_export": "csv"})
    )
    assert {r["Paid on"] for r in viewer_rows} == {"2026-03"}  # the month, as on the page
    cases = _csv(staff_client("bookkeeper").get(reverse("casework:cases") + "?_export=csv"))
    assert {r["Closed on"] for r in cases} == {""}  # blank, never a dash


def test_the_audit_details_are_json(staff_client, books):
    rows = _csv(staff_client("bookkeeper").get(reverse("casework:audit") + "?_export=csv"))

    approved = next(r for r in rows if r["Action"] == "disbursement.approved")
    details = json.loads(approved["Details"])
    assert details["to"] == "approved"
    assert approved["Details"] == json.dumps(details, sort_keys=True, separators=(",", ":"))
    assert approved["From → to"] == "requested -> approved"
    created = next(r for r in rows if r["Action"] == "case.created")
    assert created["From → to"] == ""


def test_list_dates_are_written_as_on_the_detail_pages(staff_client, books):
    _, (d1, _d2, _d3) = books
    client = staff_client("bookkeeper")

    listing = client.get(reverse("casework:disbursements")).content.decode()
    detail = client.get(reverse("casework:disbursement", args=[d1.pk])).content.decode()

    requested = re.search(r"<dt>Requested</dt><dd>(\S+ \S+)", detail).group(1)
    assert f">{requested}</td>" in listing and ">2026-03-03</td>" in listing
    month = staff_client("viewer").get(reverse("casework:disbursements")).content.decode()
    assert ">2026-03</td>" in month and "2026-03-03" not in month


def test_a_negative_amount_stays_a_number_and_no_export_names_anyone(staff_client, books):
    rows = _csv(
        staff_client("bookkeeper").get(
            reverse("casework:journal"), {"account": "assets:bank", "_export": "csv"}
        )
    )
    amounts = {row["Amount, debit + credit − (USD)"] for row in rows}
    assert "-10.00" in amounts and "1000.00" in amounts
    viewer = repr(_csv(staff_client("viewer").get(reverse("casework:cases") + "?_export=csv")))
    assert not any(secret in viewer for secret in CLUES)


@pytest.mark.parametrize("path", ["/staff/disbursements/returns/", "/staff/journal/"])
def test_each_date_input_has_its_own_label(staff_client, books, path):
    page = staff_client("bookkeeper").get(path).content.decode()

    for input_id in re.findall(r'<input type="date"[^>]* id="([^"]+)"', page):
        assert f'<label for="{input_id}">' in page
    assert len(re.findall(r'<input type="date"', page)) == 2


@pytest.mark.parametrize("role, sees_it", [("viewer", False), ("bookkeeper", True)])
def test_who_is_paid_shows_to_roles_that_see_a_cases_details(staff_client, books, role, sees_it):
    client = staff_client(role)

    page = client.get(reverse("casework:disbursements")).content.decode()
    rows = _csv(client.get(reverse("casework:disbursements"), {"_export": "csv"}))

    assert ("Hennepin County District Court" in page) == sees_it
    assert ("Paid to" in rows[0]) == sees_it
    assert [row.get("Paid to") for row in rows] == (
        ["Hennepin County District Court"] * 3 if sees_it else [None] * 3
    )
