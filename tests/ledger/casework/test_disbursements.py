"""Money out: every transition of a disbursement, its postings, its audit trail and its
refusals (roles, two people, funds, lifecycle), on either database."""

import datetime as dt
import uuid

import pytest

from ledger import exceptions
from ledger.books.selectors import account_balances, funds_available
from ledger.books.verification import verify_ledger
from ledger.casework.cases import Identity
from ledger.casework.disbursements import (
    disbursement_approve,
    disbursement_cancel,
    disbursement_pay,
    disbursement_request,
)
from ledger.models import AuditEvent, Disbursement, DisbursementOutcome, JournalTransaction
from tests.ledger.conftest import (
    open_case,
    record_forfeiture,
    record_return,
    request_disbursement,
)

pytestmark = pytest.mark.django_db

PAID_ON = dt.date(2026, 3, 2)


@pytest.fixture
def case(staff):
    identity = Identity(name="Ana Example", docket_number="27-CR-26-1234")
    return open_case(staff["case_manager"], identity)


@pytest.fixture
def request_one(staff, case):
    def make(amount=50_000, purpose="bail", method="cashiers_check", actor=None, token=None):
        actor = actor or staff["case_manager"]
        choices = {"purpose": purpose, "method": method, "token": token or _token()}
        return request_disbursement(actor, case, amount, **choices)

    return make


@pytest.fixture
def paid(staff, request_one, fund_bank):
    """A paid disbursement of ``amount`` with exactly that much in the bank beforehand."""

    def make(amount=50_000, purpose="bail"):
        fund_bank(amount)
        d = request_one(amount=amount, purpose=purpose)
        disbursement_approve(actor=staff["approver"], disbursement=d)
        return disbursement_pay(actor=staff["approver"], disbursement=d, paid_on=PAID_ON)

    return make


def _token() -> str:
    return uuid.uuid4().hex


def _nonzero(balances: dict) -> dict:
    return {code: amount for code, amount in balances.items() if amount}


def test_paid_then_returned_with_a_court_fee(staff, paid):
    d = paid(50_000)
    assert d.status == "paid" and d.outstanding == 50_000

    d = record_return(staff["bookkeeper"], d, 47_500, fees=2_500, on=dt.date(2026, 6, 1))

    assert d.status == "returned" and d.outstanding == 0 and d.settled_on == dt.date(2026, 6, 1)
    assert _nonzero(account_balances()) == {
        "assets:bank": 47_500,
        "expenses:court_fees": 2_500,
        "net_assets:opening_balance": -50_000,
    }
    kinds = list(JournalTransaction.objects.order_by("sequence").values_list("kind", flat=True))
    assert kinds == ["opening", "disbursement", "bail_return"]
    assert verify_ledger().ok


def test_paid_then_forfeited(staff, paid):
    d = paid(30_000)

    d = record_forfeiture(staff["approver"], d, 30_000, on=dt.date(2026, 9, 1))

    assert d.status == "forfeited" and d.outstanding == 0
    assert _nonzero(account_balances()) == {
        "expenses:bail_forfeited": 30_000,
        "net_assets:opening_balance": -30_000,
    }
    assert verify_ledger().ok


def test_support_is_paid_and_settled_at_once(staff, paid):
    d = paid(8_000, purpose="support")

    assert d.status == "paid" and d.settled_on == PAID_ON and d.outstanding == 0
    assert _nonzero(account_balances()) == {
        "expenses:direct_support": 8_000,
        "net_assets:opening_balance": -8_000,
    }
    with pytest.raises(exceptions.InvalidTransition):
        record_return(staff["bookkeeper"], d, 8_000, on=dt.date(2026, 6, 1))


def test_part_returned_then_the_rest_forfeited(staff, paid):
    d = paid(100_000)

    d = record_return(staff["bookkeeper"], d, 60_000, fees=1_000, on=dt.date(2026, 5, 1))
    assert d.status == "partly_returned" and d.outstanding == 39_000 and d.settled_on is None

    d = record_forfeiture(staff["bookkeeper"], d, 39_000, on=dt.date(2026, 7, 1))

    # Nothing outstanding: settled, not "partly returned".
    assert d.status == "settled" and d.outstanding == 0
    assert d.settled_on == dt.date(2026, 7, 1)
    balances = account_balances()
    assert balances["assets:bail_outstanding"] == 0
    assert balances["assets:bank"] == 60_000
    assert balances["expenses:court_fees"] == 1_000
    assert balances["expenses:bail_forfeited"] == 39_000
    assert verify_ledger().ok


def test_every_transition_is_audited_from_and_to(staff, paid):
    d = paid(10_000)
    record_return(staff["bookkeeper"], d, 10_000, on=dt.date(2026, 4, 1))

    trail = list(
        AuditEvent.objects.filter(object_type="disbursement", object_id=str(d.pk))
        .order_by("id")
        .values_list("action", "actor__username", "details__from", "details__to")
    )
    assert trail == [
        ("disbursement.requested", staff["case_manager"].username, "", "requested"),
        ("disbursement.approved", staff["approver"].username, "requested", "approved"),
        ("disbursement.paid", staff["approver"].username, "approved", "paid"),
        ("disbursement.return", staff["bookkeeper"].username, "paid", "returned"),
    ]


def test_a_requester_cannot_approve_their_own_disbursement(staff, request_one, fund_bank, person):
    fund_bank(10_000)
    both = person("case_manager", "approver")
    d = request_one(amount=5_000, actor=both)

    with pytest.raises(exceptions.SelfApproval):
        disbursement_approve(actor=both, disbursement=d)

    d.refresh_from_db()
    assert d.status == "requested" and d.approved_by is None
    assert disbursement_approve(actor=staff["approver"], disbursement=d).status == "approved"


def test_below_the_two_person_minimum_one_person_may_approve(
    settings, request_one, fund_bank, person
):
    settings.DISBURSEMENT_TWO_PERSON_MIN = 10_000
    fund_bank(20_000)
    both = person("case_manager", "approver")

    small = request_one(amount=9_999, actor=both)
    assert disbursement_approve(actor=both, disbursement=small).status == "approved"
    large = request_one(amount=10_000, actor=both)
    with pytest.raises(exceptions.SelfApproval):
        disbursement_approve(actor=both, disbursement=large)


@pytest.mark.parametrize(
    ("role", "action"),
    [
        ("viewer", "request"),
        ("bookkeeper", "request"),
        ("approver", "request"),
        ("case_manager", "approve"),
        ("bookkeeper", "approve"),
        ("viewer", "approve"),
        ("case_manager", "pay"),
        ("bookkeeper", "pay"),
        ("viewer", "cancel"),
        ("bookkeeper", "cancel"),
    ],
)
def test_services_refuse_roles_that_may_not_act(staff, request_one, fund_bank, role, action):
    fund_bank(10_000)
    d = request_one(amount=5_000)
    if action == "pay":
        disbursement_approve(actor=staff["approver"], disbursement=d)
    actor = staff[role]
    calls = {
        "request": lambda: request_one(amount=5_000, actor=actor),
        "approve": lambda: disbursement_approve(actor=actor, disbursement=d),
        "pay": lambda: disbursement_pay(actor=actor, disbursement=d, paid_on=PAID_ON),
        "cancel": lambda: disbursement_cancel(actor=actor, disbursement=d),
    }
    before = (Disbursement.objects.count(), JournalTransaction.objects.count())

    with pytest.raises(exceptions.NotPermitted):
        calls[action]()

    assert (Disbursement.objects.count(), JournalTransaction.objects.count()) == before


def test_outcomes_need_the_record_outcome_role(staff, paid):
    d = paid(10_000)
    for role in ("viewer", "case_manager"):
        with pytest.raises(exceptions.NotPermitted):
            record_return(staff[role], d, 10_000, on=dt.date(2026, 4, 1))
    assert DisbursementOutcome.objects.count() == 0


def test_approval_is_refused_when_available_funds_do_not_cover_it(staff, request_one, fund_bank):
    fund_bank(10_000)
    first = request_one(amount=7_000)
    second = request_one(amount=5_000)
    disbursement_approve(actor=staff["approver"], disbursement=first)
    assert funds_available() == 3_000

    with pytest.raises(exceptions.InsufficientFunds, match=r"\$30\.00"):
        disbursement_approve(actor=staff["approver"], disbursement=second)

    second.refresh_from_db()
    assert second.status == "requested"


def test_when_funds_fall_after_approval_the_earlier_approval_is_paid_first(
    staff, request_one, fund_bank, person
):
    from donations.offline.services import offline_gift_bounced, offline_gift_record

    fund_bank(5_000)
    gift = offline_gift_record(
        actor=staff["bookkeeper"],
        method="check",
        amount=5_000,
        received_on=dt.date(2026, 3, 1),
        token=_token(),
    )
    first = request_one(amount=4_000)
    second = request_one(amount=4_000)
    disbursement_approve(actor=staff["approver"], disbursement=first)
    disbursement_approve(actor=staff["approver"], disbursement=second)
    offline_gift_bounced(actor=staff["bookkeeper"], gift=gift)  # the bank holds 5,000 again
    assert funds_available() == -3_000

    with pytest.raises(exceptions.InsufficientFunds):
        disbursement_pay(actor=staff["approver"], disbursement=second, paid_on=PAID_ON)
    disbursement_pay(actor=staff["approver"], disbursement=first, paid_on=PAID_ON)
    with pytest.raises(exceptions.InsufficientFunds):
        disbursement_pay(actor=staff["approver"], disbursement=second, paid_on=PAID_ON)

    assert account_balances()["assets:bank"] == 1_000
    assert JournalTransaction.objects.filter(kind="disbursement").count() == 1


def test_cash_payments_come_from_the_cash_box(staff, request_one, fund_bank):
    fund_bank(10_000)
    fund_bank(2_000, account="assets:cash")
    d = request_one(amount=3_000, method="cash")
    disbursement_approve(actor=staff["approver"], disbursement=d)

    with pytest.raises(exceptions.InsufficientFunds, match="cash box"):
        disbursement_pay(actor=staff["approver"], disbursement=d, paid_on=PAID_ON)

    fund_bank(1_000, account="assets:cash")
    disbursement_pay(actor=staff["approver"], disbursement=d, paid_on=PAID_ON)
    balances = account_balances()
    assert balances["assets:cash"] == 0 and balances["assets:bank"] == 10_000


def test_transitions_are_idempotent_and_post_once(staff, request_one, fund_bank):
    fund_bank(10_000)
    token = _token()
    d = request_one(amount=6_000, token=token)
    assert request_one(amount=6_000, token=token).pk == d.pk
    with pytest.raises(exceptions.InvalidDisbursement):
        request_one(amount=6_001, token=token)

    disbursement_approve(actor=staff["approver"], disbursement=d)
    disbursement_approve(actor=staff["approver"], disbursement=d)
    with pytest.raises(exceptions.InvalidTransition):
        disbursement_approve(actor=staff["second_approver"], disbursement=d)
    disbursement_pay(actor=staff["approver"], disbursement=d, paid_on=PAID_ON)
    disbursement_pay(actor=staff["approver"], disbursement=d, paid_on=PAID_ON)
    outcome_token = _token()
    for _ in range(2):
        d = record_return(
            staff["bookkeeper"], d, 3_000, on=dt.date(2026, 4, 1), token=outcome_token
        )

    assert Disbursement.objects.count() == 1
    assert JournalTransaction.objects.filter(kind="disbursement").count() == 1
    assert DisbursementOutcome.objects.count() == 1
    assert d.returned_amount == 3_000 and d.status == "partly_returned"
    assert AuditEvent.objects.filter(action="disbursement.approved").count() == 1


def test_lifecycle_refuses_out_of_order_moves_and_changes_nothing(staff, request_one, paid):
    d = request_one(amount=1_000)
    with pytest.raises(exceptions.InvalidTransition):
        disbursement_pay(actor=staff["approver"], disbursement=d, paid_on=PAID_ON)
    with pytest.raises(exceptions.InvalidTransition):
        record_forfeiture(staff["approver"], d, 1_000, on=PAID_ON)
    disbursement_cancel(actor=staff["case_manager"], disbursement=d)
    with pytest.raises(exceptions.InvalidTransition):
        disbursement_approve(actor=staff["approver"], disbursement=d)

    done = paid(2_000)
    with pytest.raises(exceptions.InvalidTransition):
        disbursement_cancel(actor=staff["approver"], disbursement=done)
    with pytest.raises(exceptions.OutcomeExceedsOutstanding):
        record_return(staff["bookkeeper"], done, 1_900, fees=101, on=dt.date(2026, 4, 1))
    with pytest.raises(exceptions.InvalidDisbursement, match="before the bail was paid"):
        record_return(staff["bookkeeper"], done, 2_000, on=dt.date(2026, 3, 1))
    done.refresh_from_db()
    assert done.status == "paid" and done.returned_amount == 0
    assert JournalTransaction.objects.filter(kind="bail_return").count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": 0}, "more than zero"),
        ({"amount": -5}, "more than zero"),
        ({"amount": 12.5}, "whole number"),
        ({"purpose": "party"}, "bail or non-returnable"),
        ({"payee_kind": "landlord"}, "who is paid"),
        ({"method": "crypto"}, "how it is paid"),
        ({"payee_name": ""}, "Name who is paid"),
        ({"payee_name": "   "}, "Name who is paid"),
        ({"payee_name": "x" * 121}, "at most 120 characters"),
        ({"token": ""}, "form expired"),
    ],
)
def test_bad_requests_get_a_clear_error(staff, case, fields, message):
    request = {
        "actor": staff["case_manager"],
        "case": case,
        "purpose": "bail",
        "amount": 1_000,
        "payee_kind": "court",
        "payee_name": "Hennepin County District Court",
        "method": "check",
        "token": _token(),
    } | fields

    with pytest.raises(exceptions.InvalidDisbursement, match=message):
        disbursement_request(**request)
    assert Disbursement.objects.count() == 0


def test_a_future_payment_date_is_refused(staff, request_one, fund_bank):
    fund_bank(1_000)
    d = request_one(amount=1_000)
    disbursement_approve(actor=staff["approver"], disbursement=d)
    with pytest.raises(exceptions.InvalidDisbursement, match="future"):
        disbursement_pay(
            actor=staff["approver"], disbursement=d, paid_on=dt.date.today() + dt.timedelta(2)
        )


def test_memos_and_audit_details_carry_no_identifying_data(staff, paid):
    d = paid(12_345)
    record_return(staff["bookkeeper"], d, 12_345, on=dt.date(2026, 4, 1))
    text = repr(list(JournalTransaction.objects.values_list("memo", "source_ref")))
    text += repr(list(AuditEvent.objects.values_list("details", flat=True)))
    for secret in ("Ana", "Example", "27-CR-26-1234", "CR-26"):
        assert secret not in text


def test_a_payment_dated_in_a_closed_month_is_refused_and_changes_nothing(
    staff, request_one, fund_bank
):
    from ledger.books.periods import period_close
    from ledger.models import JournalTransaction

    fund_bank(50_000)
    d = request_one()
    disbursement_approve(actor=staff["approver"], disbursement=d)
    period_close(through=dt.date(2026, 3, 31))
    before = JournalTransaction.objects.count()

    with pytest.raises(exceptions.InvalidDisbursement, match="closed through 2026-03-31"):
        disbursement_pay(actor=staff["approver"], disbursement=d, paid_on=PAID_ON)

    d.refresh_from_db()
    assert d.status == "approved" and JournalTransaction.objects.count() == before
    paid = disbursement_pay(actor=staff["approver"], disbursement=d, paid_on=dt.date(2026, 4, 1))
    assert paid.paid_on == dt.date(2026, 4, 1)
