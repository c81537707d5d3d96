"""The staff pages of bank reconciliation, as a bookkeeper uses them: save the bank's CSV
mapping, upload a statement, confirm and reject proposals, read the report; a viewer is
refused every one of them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from donations.bank.importing import statement_import
from donations.models import BankMatch, BankStatement, BankStatementLine, MatchStatus
from ledger.models import AuditEvent
from ledger.staff.roles import MATRIX, Capability, Role
from tests.donations.bank.conftest import day, statement_file

pytestmark = pytest.mark.django_db

CHASE_MAPPING = {
    "name": "Chase checking",
    "bank_name": "JPMorgan Chase",
    "has_header": "on",
    "skip_lines": "0",
    "delimiter": ",",
    "date_column": "Posting Date",
    "date_format": "%m/%d/%Y",
    "description_column": "Description",
    "check_number_column": "Check or Slip #",
    "amount_column": "Amount",
    "balance_column": "Balance",
    "decimal_style": "point",
}


@pytest.fixture
def bookkeeper(staff_client):
    return staff_client("bookkeeper")


def _upload(client, name: str, fmt: str, data: bytes | None = None, **fields):
    upload = SimpleUploadedFile(name, data if data is not None else statement_file(name))
    form = {"format": fmt, "file": upload, "account": "assets:bank", **fields}
    return client.post(reverse("donations:staff_bank_import"), form)


def test_a_bookkeeper_saves_a_mapping_and_imports_a_csv_statement(bookkeeper, march_books):
    saved = bookkeeper.post(reverse("donations:staff_bank_mapping_new"), CHASE_MAPPING)
    assert saved.status_code == 302
    assert (
        "Chase checking"
        in bookkeeper.get(reverse("donations:staff_bank_mappings")).content.decode()
    )

    response = _upload(bookkeeper, "chase_march_2026.csv", "csv")

    statement = BankStatement.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("donations:staff_bank_statement", args=[statement.pk])
    page = bookkeeper.get(response.url).content.decode()
    assert "HENNEPIN COUNTY DISTRICT COURT REFUND" in page and "$12,388.10" in page
    assert page.count(">Confirm</button>") == 4
    assert "Unmatched (a discrepancy)" in page
    again = _upload(bookkeeper, "chase_march_2026.csv", "csv")
    assert again.status_code == 302 and BankStatement.objects.count() == 1
    assert "was imported already; nothing changed" in bookkeeper.get(again.url).content.decode()


def test_a_mapping_that_cannot_read_amounts_is_refused_on_its_form(bookkeeper):
    half = CHASE_MAPPING | {"amount_column": "", "debit_column": "Debit"}

    response = bookkeeper.post(reverse("donations:staff_bank_mapping_new"), half)

    assert response.status_code == 400
    assert "Name either the amount column, or both the debit and credit columns." in (
        response.content.decode()
    )


def test_a_bad_upload_is_a_form_error_naming_the_line_and_stores_nothing(bookkeeper):
    camt = statement_file("march_2026.camt053.xml").replace(b"2450.10", b"2450,10")

    response = _upload(bookkeeper, "march_2026.camt053.xml", "camt053", camt)

    assert response.status_code == 400
    assert "Entry 3 (FCB260310000022): the amount &#x27;2450,10&#x27; is not a number" in (
        response.content.decode()
    )
    assert not BankStatementLine.objects.exists()
    assert not AuditEvent.objects.filter(action="bank_statement.imported").exists()


def test_a_csv_upload_needs_a_mapping_when_several_are_saved(bookkeeper, chase_mapping):
    chase_mapping.pk, chase_mapping.name = None, "Another bank"
    chase_mapping.save()

    response = _upload(bookkeeper, "chase_march_2026.csv", "csv")

    assert response.status_code == 400
    assert "Choose the bank&#x27;s CSV mapping." in response.content.decode()


def test_a_bookkeeper_confirms_and_rejects_proposals_on_the_statement_page(bookkeeper, march_books):
    _upload(bookkeeper, "march_2026.ofx", "ofx")
    statement = BankStatement.objects.get()
    payout = BankMatch.objects.get(transaction=march_books.payout)
    refund = BankMatch.objects.get(transaction=march_books.refund)

    confirmed = bookkeeper.post(reverse("donations:staff_bank_match_confirm", args=[payout.pk]))
    rejected = bookkeeper.post(reverse("donations:staff_bank_match_reject", args=[refund.pk]))

    assert (
        confirmed.url
        == rejected.url
        == reverse("donations:staff_bank_statement", args=[statement.pk])
    )
    payout.refresh_from_db()
    refund.refresh_from_db()
    assert (payout.status, refund.status) == (MatchStatus.CONFIRMED, MatchStatus.REJECTED)
    assert payout.decided_by == bookkeeper.user
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"bank_match.confirmed", "bank_match.rejected"} <= actions
    # Rejecting a confirmed match is refused, with the reason, and changes nothing.
    refused = bookkeeper.post(
        reverse("donations:staff_bank_match_reject", args=[payout.pk]), follow=True
    )
    assert "A confirmed match is not undone by rejecting it." in refused.content.decode()
    assert BankMatch.objects.get(pk=payout.pk).status == MatchStatus.CONFIRMED
    # The refund's line and the fee's are in the existing discrepancies list.
    listing = bookkeeper.get("/staff/reconciliation/discrepancies/?kind=bank_statement_line")
    assert listing.content.decode().count("Bank statement line with no entry in the books") == 2


def test_the_report_page_and_its_csv(bookkeeper, march_books):
    _upload(bookkeeper, "march_2026.ofx", "ofx")
    statement = BankStatement.objects.get()
    for match in BankMatch.objects.all():
        bookkeeper.post(reverse("donations:staff_bank_match_confirm", args=[match.pk]))
    url = reverse("donations:staff_bank_report", args=[statement.pk])

    page = bookkeeper.get(url).content.decode()
    export = bookkeeper.get(url, {"_export": "csv"})

    assert 'id="bank-closing">$12,388.10<' in page
    assert 'id="outstanding-checks">$800.00<' in page
    assert 'id="deposits-in-transit">$75.00<' in page
    assert 'id="unmatched">-$12.00<' in page
    assert 'id="difference">$0.00<' in page
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert "Outstanding check,2026-03-28," in export.content.decode()


def test_a_viewer_is_refused_every_bank_page(staff_client, march_books):
    statement_import(actor=None, data=statement_file("march_2026.ofx"), fmt="ofx")
    statement, match = BankStatement.objects.get(), BankMatch.objects.first()
    viewer = staff_client("viewer")
    pages = [
        reverse("donations:staff_bank_statements"),
        reverse("donations:staff_bank_import"),
        reverse("donations:staff_bank_mappings"),
        reverse("donations:staff_bank_mapping_new"),
        reverse("donations:staff_bank_statement", args=[statement.pk]),
        reverse("donations:staff_bank_report", args=[statement.pk]) + "?_export=csv",
    ]
    posts = [
        reverse("donations:staff_bank_propose", args=[statement.pk]),
        reverse("donations:staff_bank_match_confirm", args=[match.pk]),
        reverse("donations:staff_bank_match_reject", args=[match.pk]),
    ]

    assert {url: viewer.get(url).status_code for url in pages} == dict.fromkeys(pages, 403)
    assert {url: viewer.post(url).status_code for url in posts} == dict.fromkeys(posts, 403)
    assert BankMatch.objects.get(pk=match.pk).status == MatchStatus.PROPOSED
    assert day(31) == statement.period_end


def test_the_statements_list_and_the_staff_home_lead_to_the_bank_pages(bookkeeper, staff_client):
    _upload(bookkeeper, "march_2026.ofx", "ofx")
    statement = BankStatement.objects.get()

    listing = bookkeeper.get(reverse("donations:staff_bank_statements")).content.decode()
    export = bookkeeper.get(reverse("donations:staff_bank_statements"), {"_export": "csv"})
    home = bookkeeper.get("/staff/").content.decode()

    assert f'href="{reverse("donations:staff_bank_statement", args=[statement.pk])}"' in listing
    assert "$12,388.10" in listing and ",12388.10," in export.content.decode()
    assert "Closing balance (USD)" in export.content.decode()
    assert "1 row</th>" in listing  # balances at different dates are not summed
    assert 'href="/staff/bank/import/"' in home
    assert "/staff/bank/" not in staff_client("viewer").get("/staff/").content.decode()


def test_only_roles_that_see_case_details_reconcile_the_bank():
    """A statement's lines carry what view_case_details guards: courts, days, check numbers."""
    reconcilers = {role for role in Role if Capability.RECONCILE in MATRIX[role]}
    assert reconcilers == {Role.BOOKKEEPER, Role.ADMIN}
    assert all(Capability.VIEW_CASE_DETAILS in MATRIX[role] for role in reconcilers)
