"""Staff pay bail through the browser: each person logs in with a password and a code from
their authenticator app; a bookkeeper records a check that came in, a case manager opens a
case and asks for bail, a second person approves and pays it, and the bookkeeper records
the court's return with a fee withheld. The pages and the books agree at every step."""

from __future__ import annotations

import re

import pytest

from ledger.books.selectors import account_balances, funds_available
from ledger.books.verification import verify_ledger
from ledger.models import BailCase, Disbursement
from tests.e2e.conftest import PASSWORD, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_bail_is_requested_approved_by_a_second_person_paid_and_returned(
    people, staff_user, log_in, screenshots
):
    bookkeeper = staff_user("bookkeeper", username="bea", password=PASSWORD)
    case_manager = staff_user("case_manager", username="cam", password=PASSWORD)
    approver = staff_user("approver", username="abe", password=PASSWORD)

    # A check for $2,000 came in: the bookkeeper records it, and the bank holds it.
    bea = people()
    log_in(bea, bookkeeper, next_url="/staff/gifts/new/", who="bookkeeper")
    bea.get_by_label("Method").select_option("check")
    bea.get_by_label("Amount").fill("2,000.00")
    bea.get_by_label("Check number or receipt").fill("1001")
    screenshots.take(bea, "bookkeeper-offline-gift")
    bea.get_by_role("button", name="Save").click()
    expect(bea).to_have_url(re.compile(r"/staff/gifts/$"))
    expect(bea.locator(".messages")).to_contain_text("Gift recorded")
    screenshots.take(bea, "bookkeeper-gifts")
    assert account_balances()["assets:bank"] == 200_000

    # The case manager opens a case and asks for $1,500 of bail.
    cam = people()
    log_in(cam, case_manager, next_url="/staff/cases/new/", who="case-manager")
    cam.get_by_label("County").fill("Hennepin")
    cam.get_by_label("Court:", exact=True).fill("Fourth District")
    cam.get_by_label("Bail type").select_option("criminal_bail")
    cam.get_by_label("Name").fill("Rowan Example")
    cam.get_by_label("Docket number").fill("27-CR-26-1234")
    screenshots.take(cam, "case-manager-new-case")
    cam.get_by_role("button", name="Save").click()
    expect(cam.locator(".messages")).to_contain_text("Case opened.")
    case = BailCase.objects.get()
    expect(cam).to_have_url(re.compile(rf"/staff/cases/{case.public_id}/$"))
    expect(cam.locator("#identity")).to_contain_text("Rowan Example")

    request_form = cam.locator("form", has=cam.locator("#request-disbursement"))
    request_form.get_by_label("Purpose").select_option("bail")
    request_form.get_by_label("Amount").fill("1500")
    request_form.get_by_label("Paid to:", exact=True).select_option("court")
    request_form.get_by_label("Paid to (name)").fill("Hennepin County District Court")
    request_form.get_by_label("Method").select_option("cashiers_check")
    screenshots.take(cam, "case-manager-case")
    cam.locator("#request-disbursement").click()
    d = Disbursement.objects.get()
    expect(cam).to_have_url(re.compile(rf"/staff/disbursements/{d.pk}/$"))
    expect(cam.locator("h1")).to_have_text(f"Disbursement {d.pk}: requested")
    expect(cam.locator("#amount")).to_have_text("$1,500.00")
    # The person who asked cannot approve: that takes a second person.
    expect(cam.locator("#approve")).to_have_count(0)
    screenshots.take(cam, "case-manager-requested")

    # A second person, the approver, finds it in the queue, approves it and pays it.
    abe = people()
    log_in(abe, approver, next_url="/staff/disbursements/queue/", who="approver")
    expect(abe.locator("#available")).to_contain_text("$2,000.00")
    screenshots.take(abe, "approver-queue")
    abe.locator(f'a[href="/staff/disbursements/{d.pk}/"]').first.click()
    # Each step that cannot be undone states the amount and what follows, to be ticked.
    expect(abe.get_by_label(re.compile(r"Approve \$1,500\.00: it is set aside"))).to_be_visible()
    abe.get_by_label(re.compile(r"Approve \$1,500\.00")).check()
    abe.locator("#approve").click()
    expect(abe.locator("h1")).to_have_text(f"Disbursement {d.pk}: approved")
    expect(abe.locator(".messages")).to_contain_text(f"Disbursement {d.pk} approved.")
    assert funds_available() == 200_000 - 150_000
    screenshots.take(abe, "approver-approved")
    abe.get_by_label("Check or wire reference").fill("CC-4471")
    abe.get_by_label(re.compile("I have checked it: this is recorded in the books")).check()
    abe.locator("#pay").click()
    expect(abe.locator("h1")).to_have_text(f"Disbursement {d.pk}: paid")
    expect(abe.locator("#outstanding")).to_have_text("$1,500.00")
    screenshots.take(abe, "approver-paid")
    balances = account_balances()
    assert balances["assets:bank"] == 50_000
    assert balances["assets:bail_outstanding"] == 150_000

    # Months later the court returns $1,450 and keeps $50 in fees.
    bea.goto(f"/staff/disbursements/{d.pk}/")
    expect(bea.locator("#outstanding")).to_have_text("$1,500.00")
    return_form = bea.locator("form", has=bea.locator("#record-return"))
    return_form.get_by_label("Amount returned").fill("1,450.00")
    return_form.get_by_label("Court fees withheld").fill("50")
    screenshots.take(bea, "bookkeeper-return")
    bea.locator("#record-return").click()
    expect(bea.locator(".messages")).to_contain_text("Return recorded.")
    expect(bea.locator("h1")).to_have_text(f"Disbursement {d.pk}: returned")
    expect(bea.locator("#outstanding")).to_have_text("$0.00")
    facts = bea.locator("dl.facts")
    expect(facts).to_contain_text("Returned$1,450.00")
    expect(facts).to_contain_text("Court fees$50.00")
    expect(facts).to_contain_text("(ref. CC-4471)")
    screenshots.take(bea, "bookkeeper-returned")

    d.refresh_from_db()
    assert (d.status, d.requested_by, d.approved_by, d.paid_by) == (
        "returned",
        case_manager,
        approver,
        approver,
    )
    balances = account_balances()
    assert balances["assets:bank"] == 200_000 - 150_000 + 145_000
    assert balances["expenses:court_fees"] == 5_000
    assert balances["assets:bail_outstanding"] == 0
    assert balances["income:donations"] == -200_000
    assert sum(balances.values()) == 0
    assert verify_ledger().ok

    # The whole history is in the audit log, each step by the person who took it.
    bea.goto(f"/staff/audit/?object_type=disbursement&object_id={d.pk}")
    history = bea.locator("table")
    for step in ("requested", "approved", "paid", "returned"):
        expect(history).to_contain_text(f"→ {step}")
    screenshots.take(bea, "bookkeeper-audit")
    assert people.problems.seen == []
