"""Two people acting at the same instant on PostgreSQL: one wins, the other gets a clear
refusal, and the books stay exact."""

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from ledger import exceptions
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from ledger.casework.cases import Identity, case_create
from ledger.casework.disbursements import (
    disbursement_approve,
    disbursement_pay,
    disbursement_request,
)
from ledger.models import AuditEvent, Disbursement, JournalTransaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAID_ON = dt.date(2026, 3, 2)


def _race(*calls):
    """Run the calls in their own connections, released together; returns each one's result
    or the exception it raised."""
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait()
            return call()
        except Exception as error:  # noqa: BLE001 - the race's loser is part of the result
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def setup(person, field_keys, fund_bank):
    people = {
        "case_manager": person("case_manager"),
        "approver": person("approver"),
        "other_approver": person("approver"),
    }
    case = case_create(
        actor=people["case_manager"],
        county="Ramsey",
        bail_type="criminal_bail",
        opened_on=dt.date(2026, 3, 1),
        identity=Identity(name="Race Example", docket_number="62-CR-26-7"),
    )

    def request(amount):
        return disbursement_request(
            actor=people["case_manager"],
            case=case,
            purpose="bail",
            amount=amount,
            payee_kind="court",
            payee_name="Ramsey County District Court",
            method="wire",
            token=uuid.uuid4().hex,
        )

    return people, request, fund_bank


def test_two_approvers_at_once_make_one_approval_and_one_posting(setup):
    people, request, fund_bank = setup
    fund_bank(10_000)
    d = request(8_000)

    results = _race(
        lambda: disbursement_approve(actor=people["approver"], disbursement=d),
        lambda: disbursement_approve(actor=people["other_approver"], disbursement=d),
    )

    approved = [r for r in results if isinstance(r, Disbursement)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(approved) == 1 and len(refused) == 1
    assert isinstance(refused[0], exceptions.InvalidTransition)
    assert AuditEvent.objects.filter(action="disbursement.approved").count() == 1

    payers = _race(
        lambda: disbursement_pay(actor=people["approver"], disbursement=d, paid_on=PAID_ON),
        lambda: disbursement_pay(actor=people["other_approver"], disbursement=d, paid_on=PAID_ON),
    )

    assert all(isinstance(r, Disbursement) for r in payers)  # paying again is a no-op
    assert JournalTransaction.objects.filter(kind="disbursement").count() == 1
    assert AuditEvent.objects.filter(action="disbursement.paid").count() == 1
    assert account_balances()["assets:bank"] == 2_000
    assert verify_ledger().ok


def test_two_payments_that_together_exceed_the_funds_one_is_refused(setup):
    people, request, fund_bank = setup
    fund_bank(6_000)
    fund_bank(4_000)
    first, second = request(5_000), request(5_000)
    disbursement_approve(actor=people["approver"], disbursement=first)
    disbursement_approve(actor=people["approver"], disbursement=second)
    # Funds fall after both approvals: an opening deposit turns out to be wrong.
    from ledger.books.posting import transaction_reverse

    transaction_reverse(
        transaction_to_reverse=JournalTransaction.objects.get(sequence=2), memo="Entered twice"
    )

    results = _race(
        lambda: disbursement_pay(actor=people["approver"], disbursement=first, paid_on=PAID_ON),
        lambda: disbursement_pay(
            actor=people["other_approver"], disbursement=second, paid_on=PAID_ON
        ),
    )

    paid = [r for r in results if isinstance(r, Disbursement)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(paid) == 1 and len(refused) == 1
    assert isinstance(refused[0], exceptions.InsufficientFunds)
    assert "Funds do not cover" in str(refused[0])
    assert paid[0].pk == first.pk  # the earlier approval keeps its claim
    balances = account_balances()
    assert balances["assets:bank"] == 1_000
    assert balances["assets:bail_outstanding"] == 5_000
    assert JournalTransaction.objects.filter(kind="disbursement").count() == 1
    assert verify_ledger().ok


def test_many_payments_racing_never_overdraw(setup):
    people, request, fund_bank = setup
    fund_bank(20_000)
    pending = [request(2_000) for _ in range(8)]
    for d in pending:
        disbursement_approve(actor=people["approver"], disbursement=d)
    # Now only 9,000 is really there: a 11,000 correction comes out of the bank.
    from ledger.books.posting import transaction_post

    transaction_post(
        kind="adjustment",
        date=PAID_ON,
        legs=[("assets:bank", -11_000), ("net_assets:opening_balance", 11_000)],
        idempotency_key="test:correction",
        memo="Opening balance corrected",
    )

    results = _race(
        *[
            (
                lambda d=d: disbursement_pay(
                    actor=people["approver"], disbursement=d, paid_on=PAID_ON
                )
            )
            for d in pending
        ]
    )

    paid = [r for r in results if isinstance(r, Disbursement)]
    assert len(paid) == 4
    assert all(isinstance(r, exceptions.InsufficientFunds) for r in results if r not in paid)
    assert account_balances()["assets:bank"] == 1_000
    assert verify_ledger().ok
