"""Corrections of paid disbursements: a void, a corrected amount, date or method, and an
undone return or forfeiture, each a reversing entry plus the corrected one, linked, with a
reason, applied by two people for money out, and never written into a closed period."""

import datetime as dt
import uuid

import pytest

from ledger import exceptions
from ledger.books.periods import period_close
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from ledger.casework.cases import Identity, case_close, cases_purge_identifying_data
from ledger.casework.correction_records import Correction, standing
from ledger.casework.corrections import (
    correction_apply,
    correction_propose,
    correction_withdraw,
)
from ledger.casework.disbursements import disbursement_approve, disbursement_pay
from ledger.models import AuditEvent, DisbursementOutcome, JournalTransaction
from ledger.public.releases import snapshot
from tests.ledger.conftest import open_case, record_forfeiture, record_return
from tests.ledger.conftest import request_disbursement as request

pytestmark = pytest.mark.django_db

PAID_ON = dt.date(2026, 3, 2)


@pytest.fixture
def paid(staff, fund_bank):
    case = open_case(staff["case_manager"], Identity(name="Ana Example"))

    def make(amount=50_000, purpose="bail", method="cashiers_check", bank=None):
        fund_bank(amount if bank is None else bank)
        d = request(staff["case_manager"], case, amount, purpose=purpose, method=method)
        disbursement_approve(actor=staff["approver"], disbursement=d)
        return disbursement_pay(actor=staff["approver"], disbursement=d, paid_on=PAID_ON)

    return make


def propose(actor, d, kind, reason="The court returned the check uncashed.", **changes):
    token = changes.pop("token", uuid.uuid4().hex)
    return correction_propose(
        actor=actor, disbursement=d, kind=kind, reason=reason, token=token, **changes
    )


def _nonzero(balances: dict) -> dict:
    return {code: amount for code, amount in balances.items() if amount}


def test_a_void_reverses_the_payment_and_ends_the_disbursement(staff, paid):
    d = paid(50_000)
    payment = d.payment_transaction
    c = propose(staff["bookkeeper"], d, "void", new_date=dt.date(2026, 3, 20))
    assert c.status == "proposed"
    d.refresh_from_db()
    assert d.status == "paid", "a proposal changes nothing"

    c = correction_apply(actor=staff["approver"], correction=c)

    d.refresh_from_db()
    assert (c.status, c.decided_by, c.replacement) == ("applied", staff["approver"], None)
    assert (d.status, d.paid_on, d.outstanding) == ("voided", None, 0)
    reversal = c.reversal
    assert reversal.reverses_id == payment.pk and reversal.kind == "disbursement"
    assert reversal.date == dt.date(2026, 3, 20)
    assert reversal.source_ref == f"disbursement:{d.pk}"
    assert f"#{payment.sequence}" in reversal.memo and "Ana" not in reversal.memo
    assert _nonzero(account_balances()) == {
        "assets:bank": 50_000,
        "net_assets:opening_balance": -50_000,
    }
    actions = list(
        AuditEvent.objects.filter(object_type="disbursement", object_id=str(d.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["disbursement.correction_proposed", "disbursement.corrected"]
    assert verify_ledger().ok
    # The public figures no longer count it.
    assert snapshot("2026-03")["persons"] == {}


def test_money_out_is_corrected_by_two_people(staff, paid):
    d = paid(50_000)
    c = propose(staff["approver"], d, "void", new_date=dt.date(2026, 3, 20))

    with pytest.raises(exceptions.SelfApproval):
        correction_apply(actor=staff["approver"], correction=c)

    refused = AuditEvent.objects.filter(action="disbursement.correction_refused").get()
    assert refused.details == {"reason": "self_approval", "correction": c.pk}
    d.refresh_from_db()
    assert d.status == "paid" and not JournalTransaction.objects.filter(reverses__isnull=False)
    correction_apply(actor=staff["second_approver"], correction=c)
    d.refresh_from_db()
    assert d.status == "voided"


def test_below_the_two_person_minimum_the_proposer_may_apply(staff, paid, settings):
    settings.DISBURSEMENT_TWO_PERSON_MIN = 100_000
    d = paid(50_000)
    c = propose(staff["approver"], d, "void", new_date=dt.date(2026, 3, 20))
    assert correction_apply(actor=staff["approver"], correction=c).status == "applied"


def test_roles_propose_and_apply_by_the_matrix(staff, paid):
    d = paid(50_000)
    for who in ("viewer", "case_manager"):
        with pytest.raises(exceptions.NotPermitted):
            propose(staff[who], d, "void", new_date=dt.date(2026, 3, 20))
    c = propose(staff["bookkeeper"], d, "void", new_date=dt.date(2026, 3, 20))
    with pytest.raises(exceptions.NotPermitted):
        correction_apply(actor=staff["bookkeeper"], correction=c)
    assert Correction.objects.get().status == "proposed"


def test_a_corrected_amount_date_and_method_post_a_reversal_and_the_corrected_payment(staff, paid):
    d = paid(50_000, bank=80_000)
    original = d.payment_transaction
    c = propose(
        staff["bookkeeper"],
        d,
        "payment",
        reason="The cashier's check was for $450, not $500.",
        new_amount=45_000,
        new_date=dt.date(2026, 3, 3),
        new_method="wire",
    )
    c = correction_apply(actor=staff["approver"], correction=c)

    d.refresh_from_db()
    assert (d.amount, d.paid_on, d.method, d.status) == (
        45_000,
        dt.date(2026, 3, 3),
        "wire",
        "paid",
    )
    assert d.payment_transaction == c.replacement and d.outstanding == 45_000
    assert c.reversal.reverses_id == original.pk and c.reversal.date == original.date
    assert c.replacement.kind == "disbursement" and c.replacement.date == dt.date(2026, 3, 3)
    assert f"corrects #{original.sequence}" in c.replacement.memo
    assert (c.old_amount, c.old_date, c.old_method) == (50_000, PAID_ON, "cashiers_check")
    assert _nonzero(account_balances()) == {
        "assets:bank": 35_000,
        "assets:bail_outstanding": 45_000,
        "net_assets:opening_balance": -80_000,
    }
    assert verify_ledger().ok
    # A second correction reverses the corrected entry, not the first payment again.
    c2 = propose(
        staff["bookkeeper"], d, "payment", new_amount=46_000, new_date=PAID_ON, new_method="wire"
    )
    c2 = correction_apply(actor=staff["second_approver"], correction=c2)
    assert c2.reversal.reverses_id == c.replacement.pk
    d.refresh_from_db()
    assert d.amount == 46_000 and verify_ledger().ok


def test_a_payment_in_a_closed_month_is_corrected_in_the_open_period(staff, paid):
    d = paid(50_000, bank=60_000)
    period_close(through=dt.date(2026, 3, 31), actor=staff["bookkeeper"])
    c = propose(
        staff["bookkeeper"], d, "payment", new_amount=51_000, new_date=PAID_ON, new_method=d.method
    )
    c = correction_apply(actor=staff["approver"], correction=c)

    first_open = dt.date(2026, 4, 1)
    assert c.reversal.date == first_open and c.replacement.date == first_open
    d.refresh_from_db()
    assert d.paid_on == PAID_ON and d.amount == 51_000, "the fact keeps its own day"
    assert verify_ledger().ok


def test_a_void_dated_in_a_closed_month_is_refused(staff, paid):
    d = paid(50_000)
    period_close(through=dt.date(2026, 3, 31), actor=staff["bookkeeper"])
    with pytest.raises(exceptions.InvalidDisbursement, match="closed through 2026-03-31"):
        propose(staff["bookkeeper"], d, "void", new_date=dt.date(2026, 3, 20))
    assert not Correction.objects.exists()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"new_amount": 50_000, "new_date": PAID_ON, "new_method": "cashiers_check"}, "Change"),
        ({"new_amount": 0, "new_date": PAID_ON, "new_method": "wire"}, "more than zero"),
        ({"new_amount": 40_000, "new_date": None, "new_method": "wire"}, "must be a date"),
        ({"new_amount": 40_000, "new_date": PAID_ON, "new_method": "barter"}, "Choose how"),
        (
            {
                "new_amount": 40_000,
                "new_date": dt.date.today() + dt.timedelta(3),
                "new_method": "wire",
            },
            "future",
        ),
        ({"new_amount": 90_000, "new_date": PAID_ON, "new_method": "wire"}, "does not hold"),
    ],
)
def test_a_bad_payment_correction_is_refused_and_changes_nothing(staff, paid, changes, error):
    d = paid(50_000)
    with pytest.raises(exceptions.DisbursementError, match=error):
        propose(staff["bookkeeper"], d, "payment", **changes)
    assert not Correction.objects.exists()


def test_a_reason_is_required(staff, paid):
    d = paid(50_000)
    with pytest.raises(exceptions.InvalidDisbursement, match="Say why"):
        propose(staff["bookkeeper"], d, "void", reason="   ", new_date=dt.date(2026, 3, 20))


def test_an_amount_below_what_came_back_is_refused(staff, paid):
    d = paid(50_000)
    d = record_return(staff["bookkeeper"], d, 30_000, on=dt.date(2026, 5, 1))
    with pytest.raises(exceptions.OutcomeExceedsOutstanding):
        propose(
            staff["bookkeeper"],
            d,
            "payment",
            new_amount=20_000,
            new_date=PAID_ON,
            new_method="wire",
        )
    with pytest.raises(exceptions.InvalidTransition, match="Undo"):
        propose(staff["bookkeeper"], d, "void", new_date=dt.date(2026, 5, 2))


def test_an_undone_return_is_reversed_and_recorded_again_as_it_was(staff, paid):
    d = paid(50_000)
    d = record_return(staff["bookkeeper"], d, 50_000, on=dt.date(2026, 5, 1))
    assert d.status == "returned"
    wrong = d.outcomes.get()
    c = propose(
        staff["bookkeeper"],
        d,
        "outcome",
        reason="The court kept $25 in fees.",
        outcome=wrong,
        new_returned=47_500,
        new_fees=2_500,
        new_date=dt.date(2026, 5, 1),
    )
    # Recording, not money out: the bookkeeper who proposed it may apply it.
    c = correction_apply(actor=staff["bookkeeper"], correction=c)

    d.refresh_from_db()
    assert (d.returned_amount, d.court_fees, d.status) == (47_500, 2_500, "returned")
    assert d.settled_on == dt.date(2026, 5, 1)
    assert c.reversal.reverses_id == wrong.transaction_id and c.reversal.kind == "bail_return"
    kept = standing(DisbursementOutcome.objects.filter(disbursement=d)).get()
    assert kept.transaction == c.replacement and kept.court_fees == 2_500
    assert _nonzero(account_balances())["expenses:court_fees"] == 2_500
    assert verify_ledger().ok


def test_an_undone_forfeiture_leaves_the_bail_outstanding(staff, paid):
    d = paid(50_000)
    d = record_forfeiture(staff["bookkeeper"], d, 50_000, on=dt.date(2026, 5, 1))
    c = propose(staff["bookkeeper"], d, "outcome", outcome=d.outcomes.get())
    correction_apply(actor=staff["approver"], correction=c)

    d.refresh_from_db()
    assert (d.status, d.forfeited_amount, d.outstanding, d.settled_on) == ("paid", 0, 50_000, None)
    assert snapshot("2026-05")["persons"][str(d.case_id)]["cum"] == [50_000, 0, 0, 0, 0]
    assert verify_ledger().ok
    # Undone once only.
    with pytest.raises(exceptions.InvalidTransition, match="already undone"):
        propose(staff["bookkeeper"], d, "outcome", outcome=c.outcome)


def test_one_waiting_correction_per_disbursement_and_withdrawal(staff, paid):
    d = paid(50_000)
    c = propose(staff["bookkeeper"], d, "void", new_date=dt.date(2026, 3, 20))
    with pytest.raises(exceptions.InvalidTransition, match="already waiting"):
        propose(staff["bookkeeper"], d, "void", new_date=dt.date(2026, 3, 21))
    assert correction_withdraw(actor=staff["bookkeeper"], correction=c).status == "withdrawn"
    with pytest.raises(exceptions.InvalidTransition):
        correction_apply(actor=staff["approver"], correction=c)
    d.refresh_from_db()
    assert d.status == "paid"


def test_a_resubmitted_form_proposes_once_and_applying_twice_posts_once(staff, paid):
    d = paid(50_000)
    first = propose(staff["bookkeeper"], d, "void", new_date=dt.date(2026, 3, 20), token="t-1")
    again = propose(staff["bookkeeper"], d, "void", new_date=dt.date(2026, 3, 20), token="t-1")
    assert first.pk == again.pk
    correction_apply(actor=staff["approver"], correction=first)
    correction_apply(actor=staff["approver"], correction=first)
    assert JournalTransaction.objects.filter(reverses__isnull=False).count() == 1


def test_an_unpaid_disbursement_is_not_corrected(staff, fund_bank):
    fund_bank(50_000)
    case = open_case(staff["case_manager"], Identity(name="Ana Example"))
    d = request(staff["case_manager"], case, 50_000)
    with pytest.raises(exceptions.InvalidTransition, match="Only a paid"):
        propose(staff["bookkeeper"], d, "void", new_date=dt.date(2026, 3, 20))


def test_the_retention_purge_erases_the_reason_and_keeps_dates_to_the_month(staff, paid, settings):
    settings.CASE_PII_RETENTION_DAYS = 30
    d = paid(50_000)
    c = propose(
        staff["bookkeeper"], d, "void", reason="Check 1043 for Ana", new_date=dt.date(2026, 3, 20)
    )
    correction_apply(actor=staff["approver"], correction=c)
    case_close(actor=staff["case_manager"], case=d.case, closed_on=dt.date(2026, 3, 21))

    assert cases_purge_identifying_data(now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)) == 1

    c.refresh_from_db()
    assert c.reason == ""
    assert (c.old_date, c.new_date) == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert c.proposed_at.day == 1 and c.status == "applied" and c.old_amount == 50_000
