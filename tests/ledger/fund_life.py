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
from ledger.casework.cases import Identity
from ledger.casework.disbursements import disbursement_approve, disbursement_pay
from ledger.models import BailCase, Disbursement
from tests.ledger.conftest import open_case, record_forfeiture, record_return, request_disbursement

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


def _post(kind: str, on: dt.date, legs: list[tuple[str, int]], key: str, memo: str = "") -> None:
    transaction_post(
        kind=kind, date=on, legs=legs, idempotency_key=f"{key}{next(_numbers)}", memo=memo
    )


def donation(gross: int, fee: int, on: dt.date) -> None:
    legs = [
        ("assets:stripe", gross - fee),
        ("expenses:processing_fees", fee),
        ("income:donations", -gross),
    ]
    _post("donation", on, legs, "stripe:txn_life", memo="Card donation")


def refund(amount: int, on: dt.date) -> None:
    legs = [("income:donations_refunded", amount), ("assets:stripe", -amount)]
    _post("refund", on, legs, "stripe:txn_refund")


def dispute(amount: int, on: dt.date) -> None:
    legs = [("expenses:dispute_losses", amount), ("assets:stripe", -amount)]
    _post("dispute", on, legs, "stripe:txn_dispute")


def payout(amount: int, on: dt.date, *, days_in_transit: int = 2) -> None:
    """A Stripe payout: it leaves Stripe's balance on ``on`` and arrives in the bank later."""
    _post("payout", on, [("assets:payouts_in_transit", amount), ("assets:stripe", -amount)],
          "stripe:txn_po_")  # fmt: skip
    arrives = on + dt.timedelta(days=days_in_transit)
    _post("payout", arrives, [("assets:bank", amount), ("assets:payouts_in_transit", -amount)],
          "stripe:po_arrived_")  # fmt: skip


def offline_gift(amount: int, on: dt.date, account: str = "assets:bank") -> None:
    _post("offline_gift", on, [(account, amount), ("income:donations", -amount)], "offline:")


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
    identity = Identity(
        name=name or f"Person {n}",
        date_of_birth=born,
        booking_number=booking,
        docket_number=docket or f"DKT-{n}",
        notes=notes,
    )
    fields = {"county": county, "court": court, "bail_type": bail_type}
    return open_case(by.requester, identity, opened_on=dt.date(2025, 1, 1), **fields)


def approved(case: BailCase, amount: int, *, by: Team, purpose: str = "bail") -> Disbursement:
    token = f"request-{next(_numbers)}"
    d = request_disbursement(by.requester, case, amount, purpose=purpose, token=token)
    return disbursement_approve(actor=by.approver, disbursement=d)


def pay(
    case: BailCase, amount: int, on: dt.date, *, by: Team, purpose: str = "bail"
) -> Disbursement:
    d = approved(case, amount, by=by, purpose=purpose)
    return disbursement_pay(actor=by.approver, disbursement=d, paid_on=on)


def bail_paid(county: str, amount: int, on: dt.date, *, by: Team) -> Disbursement:
    """Bail of ``amount`` paid on ``on`` for a new case in ``county``."""
    return pay(case(county, by=by), amount, on, by=by)


def bail_returned(d: Disbursement, returned: int, fees: int, on: dt.date, *, by: Team) -> None:
    record_return(by.approver, d, returned, fees=fees, on=on, token=f"outcome-{next(_numbers)}")


def bail_forfeited(d: Disbursement, amount: int, on: dt.date, *, by: Team) -> None:
    record_forfeiture(by.approver, d, amount, on=on, token=f"outcome-{next(_numbers)}")
