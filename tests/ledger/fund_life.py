"""A small vocabulary for scripting a fund's life in tests of the public figures.

Money in is posted through ``ledger.books.posting.transaction_post`` with the recipes of
docs/ledger.md; cases and disbursements go through their own services (``ledger.casework.cases``,
``ledger.casework.disbursements``), run by two administrators so the two-person rule is met.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from django.contrib.auth.models import User

from ledger.books.posting import transaction_post
from ledger.casework.cases import Identity, case_create
from ledger.casework.disbursements import (
    disbursement_approve,
    disbursement_pay,
    disbursement_record_forfeiture,
    disbursement_record_return,
    disbursement_request,
)
from ledger.models import BailCase, Disbursement, PayeeKind, PaymentMethod

_numbers = itertools.count(1)


@dataclass(frozen=True)
class Team:
    requester: User
    approver: User


def team() -> Team:
    def admin() -> User:
        return User.objects.create_superuser(
            username=f"admin{next(_numbers)}", password="unused-here"
        )

    return Team(admin(), admin())


def donation(gross: int, fee: int, on: dt.date) -> None:
    n = next(_numbers)
    transaction_post(
        kind="donation",
        date=on,
        legs=[
            ("assets:stripe", gross - fee),
            ("expenses:processing_fees", fee),
            ("income:donations", -gross),
        ],
        idempotency_key=f"stripe:txn_life{n}",
        memo="Card donation",
    )


def refund(amount: int, on: dt.date) -> None:
    transaction_post(
        kind="refund",
        date=on,
        legs=[("income:donations_refunded", amount), ("assets:stripe", -amount)],
        idempotency_key=f"stripe:txn_refund{next(_numbers)}",
    )


def dispute(amount: int, on: dt.date) -> None:
    transaction_post(
        kind="dispute",
        date=on,
        legs=[("expenses:dispute_losses", amount), ("assets:stripe", -amount)],
        idempotency_key=f"stripe:txn_dispute{next(_numbers)}",
    )


def payout(amount: int, on: dt.date) -> None:
    transaction_post(
        kind="payout",
        date=on,
        legs=[("assets:bank", amount), ("assets:stripe", -amount)],
        idempotency_key=f"stripe:po_{next(_numbers)}",
    )


def offline_gift(amount: int, on: dt.date, account: str = "assets:bank") -> None:
    transaction_post(
        kind="offline_gift",
        date=on,
        legs=[(account, amount), ("income:donations", -amount)],
        idempotency_key=f"offline:{next(_numbers)}",
    )


def case(
    county: str,
    *,
    by: Team,
    bail_type: str = "criminal_bail",
    name: str = "",
    docket: str = "",
    booking: str = "",
    born: str = "",
    notes: str = "",
    court: str = "",
) -> BailCase:
    n = next(_numbers)
    return case_create(
        actor=by.requester,
        county=county,
        court=court,
        bail_type=bail_type,
        opened_on=dt.date(2025, 1, 1),
        identity=Identity(
            name=name or f"Person {n}",
            date_of_birth=born,
            booking_number=booking,
            docket_number=docket or f"DKT-{n}",
            notes=notes,
        ),
    )


def approved(case: BailCase, amount: int, *, by: Team, purpose: str = "bail") -> Disbursement:
    d = disbursement_request(
        actor=by.requester,
        case=case,
        purpose=purpose,
        amount=amount,
        payee_kind=PayeeKind.COURT,
        method=PaymentMethod.CHECK,
        token=f"request-{next(_numbers)}",
    )
    return disbursement_approve(actor=by.approver, disbursement=d)


def pay(
    case: BailCase, amount: int, on: dt.date, *, by: Team, purpose: str = "bail"
) -> Disbursement:
    d = approved(case, amount, by=by, purpose=purpose)
    return disbursement_pay(actor=by.approver, disbursement=d, paid_on=on)


def bail_returned(d: Disbursement, returned: int, fees: int, on: dt.date, *, by: Team) -> None:
    disbursement_record_return(
        actor=by.approver,
        disbursement=d,
        token=f"outcome-{next(_numbers)}",
        occurred_on=on,
        returned_amount=returned,
        court_fees=fees,
    )


def bail_forfeited(d: Disbursement, amount: int, on: dt.date, *, by: Team) -> None:
    disbursement_record_forfeiture(
        actor=by.approver,
        disbursement=d,
        token=f"outcome-{next(_numbers)}",
        occurred_on=on,
        amount=amount,
    )
