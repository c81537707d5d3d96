"""Corrections through the disbursement page: a bookkeeper proposes one with its reason,
the page states what applying it posts, an approver applies it only with the confirmation
ticked, and the history shows the reversal and the corrected entry."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from ledger.books.verification import verify_ledger
from ledger.casework.correction_records import Correction
from ledger.casework.disbursements import disbursement_approve, disbursement_pay
from ledger.models import Disbursement
from tests.ledger.casework.conftest import PERSON
from tests.ledger.conftest import deposit, open_case, record_return, request_disbursement

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(staff_user, field_keys):
    """A paid bail disbursement of $500.00 by cashier's check on 2 March 2026."""
    deposit(80_000)
    case = open_case(staff_user("case_manager"), PERSON)
    d = request_disbursement(staff_user("case_manager"), case, 50_000, method="cashiers_check")
    approver = staff_user("approver")
    disbursement_approve(actor=approver, disbursement=d)
    return disbursement_pay(actor=approver, disbursement=d, paid_on=dt.date(2026, 3, 2))


def _page(client, d) -> str:
    return client.get(reverse("casework:disbursement", args=[d.pk])).content.decode()


def _token(page: str, prefix: str) -> str:
    return re.search(rf'name="{prefix}-token" value="([0-9a-f]+)"', page).group(1)


def _propose_payment_fix(client, d, **fields):
    form = {
        "fix-token": _token(_page(client, d), "fix"),
        "fix-new_amount": "450.00",
        "fix-new_date": "2026-03-02",
        "fix-new_method": "cashiers_check",
        "fix-reason": "The check was written for $450.",
    }
    return client.post(reverse("casework:correct_payment", args=[d.pk]), form | fields)


def test_a_correction_is_proposed_confirmed_and_applied_through_the_page(staff_client, paid):
    bookkeeper, approver = staff_client("bookkeeper"), staff_client("approver")

    response = _propose_payment_fix(bookkeeper, paid)

    assert response.status_code == 302
    c = Correction.objects.get()
    page = _page(approver, paid)
    statement = (
        "Reverse the payment of $500.00 (2026-03-02, cashier&#x27;s check) and post $450.00 "
        "(2026-03-02, cashier&#x27;s check) instead."
    )
    assert statement in page and "The check was written for $450." in page
    apply_url = reverse("casework:correction_apply", args=[paid.pk, c.pk])

    refused = approver.post(apply_url, {})
    assert refused.status_code == 400
    assert "Tick the confirmation first" in refused.content.decode()
    assert Disbursement.objects.get(pk=paid.pk).amount == 50_000

    assert approver.post(apply_url, {"apply-confirm": "on"}).status_code == 302
    d = Disbursement.objects.get(pk=paid.pk)
    c.refresh_from_db()
    assert (d.amount, c.status) == (45_000, "applied")
    history = _page(approver, d)
    assert f"#{c.reversal.sequence} reverses #{c.reversal.reverses.sequence}" in history
    assert f"#{c.replacement.sequence} replaces it" in history
    assert verify_ledger().ok


def test_the_proposer_is_not_offered_an_apply_button(staff_client, staff_user, paid):
    approver = staff_client("approver")
    _propose_payment_fix(approver, paid)
    page = _page(approver, paid)
    assert 'id="apply-correction"' not in page
    assert "You proposed this correction: someone else must apply it." in page


def test_a_bad_proposal_shows_its_error_and_records_nothing(staff_client, paid):
    bookkeeper = staff_client("bookkeeper")
    response = _propose_payment_fix(bookkeeper, paid, **{"fix-new_amount": "5,0", "fix-reason": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "We could not tell what 5,0 means" in body and "This field is required." in body
    response = _propose_payment_fix(bookkeeper, paid, **{"fix-new_amount": "500.00"})
    assert "Change the amount, the date or the method." in response.content.decode()
    assert not Correction.objects.exists()


def test_a_wrong_return_is_undone_through_the_page(staff_client, staff_user, paid):
    d = record_return(staff_user("bookkeeper"), paid, 50_000, on=dt.date(2026, 4, 1))
    bookkeeper = staff_client("bookkeeper")
    page = _page(bookkeeper, d)
    outcome = d.outcomes.get()
    assert f'<option value="{outcome.pk}">Bail returned, $500.00' in page
    form = {
        "undo-token": _token(page, "undo"),
        "undo-outcome": str(outcome.pk),
        "undo-new_returned": "480.00",
        "undo-new_fees": "20.00",
        "undo-new_date": "2026-04-01",
        "undo-reason": "The court withheld a $20 fee.",
    }
    assert bookkeeper.post(reverse("casework:undo_outcome", args=[d.pk]), form).status_code == 302
    c = Correction.objects.get()
    apply_url = reverse("casework:correction_apply", args=[d.pk, c.pk])
    assert bookkeeper.post(apply_url, {"apply-confirm": "on"}).status_code == 302
    d.refresh_from_db()
    assert (d.returned_amount, d.court_fees, d.status) == (48_000, 2_000, "returned")
    assert "(undone by a correction)" in _page(bookkeeper, d)


def test_a_waiting_correction_can_be_withdrawn(staff_client, paid):
    bookkeeper = staff_client("bookkeeper")
    _propose_payment_fix(bookkeeper, paid)
    c = Correction.objects.get()
    url = reverse("casework:correction_withdraw", args=[paid.pk, c.pk])
    assert bookkeeper.post(url).status_code == 302
    c.refresh_from_db()
    assert c.status == "withdrawn"
    assert 'id="propose-payment-correction"' in _page(bookkeeper, paid)


def test_the_staff_home_counts_corrections_waiting_and_the_list_finds_them(staff_client, paid):
    bookkeeper, viewer = staff_client("bookkeeper"), staff_client("viewer")
    _propose_payment_fix(bookkeeper, paid)

    home = bookkeeper.get("/staff/").content.decode()
    found = bookkeeper.get(reverse("casework:disbursements"), {"correction": "waiting"})
    Correction.objects.update(status="withdrawn")
    none_left = bookkeeper.get(reverse("casework:disbursements"), {"correction": "waiting"})

    link = re.search(r'<a href="([^"]+)" id="corrections-waiting">([^<]+)</a>', home)
    assert link.group(2) == "1 correction waiting to be applied"
    assert link.group(1) == reverse("casework:disbursements") + "?correction=waiting"
    assert f'href="/staff/disbursements/{paid.pk}/"' in found.content.decode()
    assert f'href="/staff/disbursements/{paid.pk}/"' not in none_left.content.decode()
    assert "corrections-waiting" not in viewer.get("/staff/").content.decode()
