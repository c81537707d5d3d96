"""Money out: the lifecycle of a disbursement, one service per transition.

requested → approved → paid → returned / partly returned / forfeited, or cancelled before
payment. Non-returnable support ends at paid. Every service here:

* checks the actor's role (``ledger.staff.roles.require``) before anything else;
* runs in one database transaction that first takes the books' lock
  (``ledger.books.posting.books_lock``) and then the disbursement's row, so two people acting on
  the same disbursement, or two payments racing for the same money, are decided one after
  the other;
* is idempotent: repeating a transition that already happened returns the disbursement
  unchanged, and every posting carries a key derived from the fact it records
  (``disbursement:<id>:paid``, ``disbursement:<id>:return:<token>``), so money is never
  posted twice;
* writes an audit event (who, when, from → to) without personal data, and posts the money
  to the books by the recipes of docs/ledger.md. Memos name only the disbursement's number;
* refuses in the words of the person acting (the shared checks: ``ledger.casework.refusals``).

Funds rule. Available funds are bank + cash − approved but unpaid. Approval promises money,
so it is refused when available funds do not cover it. Payment is refused unless bank +
cash cover this payment plus every disbursement approved before it and still unpaid (an
earlier approval keeps its claim on the money), and unless the account it is paid from
holds the amount. Funds can fall after approval (a bounced check is reversed, a Stripe
payout fails); then the earliest approvals are paid first and later ones wait.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from ledger import exceptions
from ledger.books.chart import (
    BAIL_FORFEITED,
    BAIL_OUTSTANDING,
    BANK,
    CASH,
    COURT_FEES,
    DIRECT_SUPPORT,
)
from ledger.books.posting import audit_record, books_lock, transaction_post
from ledger.casework.refusals import (
    check_amount,
    check_date,
    check_token,
    conflict_refusal,
    money,
    source_short,
)
from ledger.models import (
    Account,
    BailCase,
    Disbursement,
    DisbursementOutcome,
    DisbursementPurpose,
    DisbursementStatus,
    OutcomeKind,
    PayeeKind,
    PaymentMethod,
    RefundPayee,
    TransactionKind,
)
from ledger.staff.credentials import approval_conflict
from ledger.staff.roles import Capability, require

S = DisbursementStatus
PAID_STATES = frozenset({S.PAID, S.PARTLY_RETURNED, S.RETURNED, S.FORFEITED, S.SETTLED})
BANK, CASH = BANK, CASH


def _state(d: Disbursement) -> str:
    return d.get_status_display().lower()


def _source_account(method: str) -> str:
    return CASH if method == PaymentMethod.CASH else BANK


def _locked(disbursement: Disbursement) -> Disbursement:
    return Disbursement.objects.select_for_update().get(pk=disbursement.pk)


def _audit(actor, d: Disbursement, action: str, before: str, **details) -> None:
    details = {"from": before, "to": d.status, **details}
    audit_record(actor, "disbursement", d.pk, f"disbursement.{action}", details)


def _funds() -> tuple[int, int]:
    """(bank, cash) balances, read under the books' lock."""
    balances = dict(Account.objects.filter(code__in=(BANK, CASH)).values_list("code", "balance"))
    return balances.get(BANK, 0), balances.get(CASH, 0)


def _approved_unpaid(exclude: Disbursement | None = None, before: Disbursement | None = None):
    rows = Disbursement.objects.filter(status=S.APPROVED)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    if before is not None:
        rows = rows.filter(
            Q(approved_at__lt=before.approved_at)
            | Q(approved_at=before.approved_at, pk__lt=before.pk)
        )
    return rows.aggregate(total=Sum("amount"))["total"] or 0


def disbursement_request(
    *,
    actor,
    case: BailCase,
    purpose: str,
    amount: int,
    payee_kind: str,
    payee_name: str,
    method: str,
    token: str,
    refund_payee: str | None = None,
    instrument_reference: str = "",
) -> Disbursement:
    """Ask the fund to pay ``amount`` for a case, to ``payee_name`` (the court clerk, jail
    or agent the check is written to). A second call with the same form token returns the
    first request."""
    require(actor, Capability.REQUEST_DISBURSEMENT)
    token = check_token(token)
    amount = check_amount(amount, "amount")
    if purpose not in DisbursementPurpose.values:
        raise exceptions.InvalidDisbursement(gettext("Choose bail or non-returnable support."))
    if payee_kind not in PayeeKind.values:
        raise exceptions.InvalidDisbursement(
            gettext("Choose who is paid: court, jail, bond agent or immigration office.")
        )
    payee_name = payee_name.strip()
    if not payee_name or len(payee_name) > 120:
        raise exceptions.InvalidDisbursement(
            gettext("Name who is paid (as written on the check), in at most 120 characters.")
        )
    if method not in PaymentMethod.values:
        raise exceptions.InvalidDisbursement(gettext("Choose how it is paid."))
    if refund_payee is None:
        refund_payee = RefundPayee.FUND if purpose == DisbursementPurpose.BAIL else RefundPayee.NONE
    if purpose == DisbursementPurpose.BAIL and refund_payee != RefundPayee.FUND:
        raise exceptions.InvalidDisbursement(
            gettext("Bail is paid only when its refund is assigned to the fund.")
        )
    if purpose == DisbursementPurpose.SUPPORT and refund_payee != RefundPayee.NONE:
        raise exceptions.InvalidDisbursement(gettext("Non-returnable support has no refund."))
    reference = instrument_reference.strip()
    if len(reference) > 60:
        raise exceptions.InvalidDisbursement(
            gettext("The instrument reference is at most 60 characters.")
        )
    with transaction.atomic():
        earlier = Disbursement.objects.filter(request_token=token).first()
        if earlier is not None:
            if (earlier.case_id, earlier.amount, earlier.purpose) != (case.pk, amount, purpose):
                raise exceptions.InvalidDisbursement(
                    gettext("This form was already used for another request.")
                )
            return earlier
        case = BailCase.objects.select_for_update().get(pk=case.pk)
        if case.closed_on is not None:
            raise exceptions.InvalidDisbursement(gettext("This case is closed; reopen it first."))
        d = Disbursement.objects.create(
            request_token=token,
            case=case,
            purpose=purpose,
            amount=amount,
            currency=settings.FUND_CURRENCY.lower(),
            payee_kind=payee_kind,
            payee_name=payee_name,
            method=method,
            refund_payee=refund_payee,
            instrument_reference=reference,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        _audit(actor, d, "requested", "", amount=amount, purpose=purpose, case=str(case.public_id))
    return d


def disbursement_approve(*, actor, disbursement: Disbursement) -> Disbursement:
    """Approve a request. Above DISBURSEMENT_TWO_PERSON_MIN the approver is not the
    requester, and neither of the two reset the other's credentials after the request or
    within STAFF_CREDENTIAL_COOLOFF_HOURS before it (``ledger.staff.credentials``);
    available funds must cover it. A refusal of the two-person rule is audited."""
    require(actor, Capability.APPROVE_DISBURSEMENT)
    try:
        return _approve(actor, disbursement)
    except exceptions.SelfApproval as refusal:
        # Written once the refused transaction has rolled back, so that it stays.
        details = {"reason": getattr(refusal, "reason", "self_approval")}
        action = "disbursement.approval_refused"
        audit_record(actor, "disbursement", disbursement.pk, action, details)
        raise


def _approve(actor, disbursement: Disbursement) -> Disbursement:
    with transaction.atomic():
        books_lock()
        d = _locked(disbursement)
        if d.status == S.APPROVED and d.approved_by_id == actor.pk:
            return d
        if d.status != S.REQUESTED:
            raise exceptions.InvalidTransition(
                gettext("Only a requested disbursement can be approved; this one is %(state)s.")
                % {"state": _state(d)}
            )
        two_person = d.amount >= settings.DISBURSEMENT_TWO_PERSON_MIN
        if two_person and d.requested_by_id == actor.pk:
            raise exceptions.SelfApproval(
                gettext("Someone other than the requester must approve this.")
            )
        conflict = two_person and approval_conflict(
            approver_id=actor.pk, requester_id=d.requested_by_id, requested_at=d.requested_at
        )
        if conflict:
            raise conflict_refusal(conflict)
        bank, cash = _funds()
        available = bank + cash - _approved_unpaid()
        if available < d.amount:
            raise exceptions.InsufficientFunds(
                gettext(
                    "Available funds (%(available)s) do not cover this disbursement (%(amount)s)."
                )
                % {"available": money(available), "amount": money(d.amount)}
            )
        d.status, d.approved_by, d.approved_at = S.APPROVED, actor, timezone.now()
        d.save(update_fields=["status", "approved_by", "approved_at"])
        _audit(actor, d, "approved", S.REQUESTED)
    return d


def disbursement_cancel(*, actor, disbursement: Disbursement) -> Disbursement:
    """Cancel before payment; nothing was posted, so nothing is reversed."""
    require(actor, Capability.CANCEL_DISBURSEMENT)
    with transaction.atomic():
        d = _locked(disbursement)
        if d.status == S.CANCELLED:
            return d
        if d.status not in (S.REQUESTED, S.APPROVED):
            raise exceptions.InvalidTransition(gettext("A paid disbursement cannot be cancelled."))
        before = d.status
        d.status, d.cancelled_by, d.cancelled_at = S.CANCELLED, actor, timezone.now()
        d.save(update_fields=["status", "cancelled_by", "cancelled_at"])
        _audit(actor, d, "cancelled", before)
    return d


def disbursement_pay(
    *, actor, disbursement: Disbursement, paid_on: dt.date, instrument_reference: str = ""
) -> Disbursement:
    """Record that the approved money went out (the check was issued, the wire sent) and
    post it: bail to ``assets:bail_outstanding``, support to ``expenses:direct_support``."""
    require(actor, Capability.PAY_DISBURSEMENT)
    paid_on = check_date(paid_on, "payment date")
    reference = instrument_reference.strip()
    if len(reference) > 60:
        raise exceptions.InvalidDisbursement(
            gettext("The instrument reference is at most 60 characters.")
        )
    with transaction.atomic():
        books_lock()
        d = _locked(disbursement)
        if d.status in PAID_STATES:
            return d
        if d.status != S.APPROVED:
            raise exceptions.InvalidTransition(
                gettext("Only an approved disbursement can be paid; this one is %(state)s.")
                % {"state": _state(d)}
            )
        source = _source_account(d.method)
        bank, cash = _funds()
        claimed_earlier = _approved_unpaid(exclude=d, before=d)
        if bank + cash - claimed_earlier - d.amount < 0:
            raise exceptions.InsufficientFunds(
                gettext(
                    "Funds do not cover this payment and the approvals before it "
                    "(available for it: %(available)s, needed: %(amount)s)."
                )
                % {"available": money(bank + cash - claimed_earlier), "amount": money(d.amount)}
            )
        if (cash if source == CASH else bank) < d.amount:
            raise source_short(source, d.amount)
        target = BAIL_OUTSTANDING if d.purpose == DisbursementPurpose.BAIL else DIRECT_SUPPORT
        what = "Bail paid" if d.purpose == DisbursementPurpose.BAIL else "Support paid"
        txn = transaction_post(
            kind=TransactionKind.DISBURSEMENT,
            date=paid_on,
            legs=[(target, d.amount), (source, -d.amount)],
            idempotency_key=f"disbursement:{d.pk}:paid",
            memo=f"{what}, disbursement {d.pk}",
            source_ref=f"disbursement:{d.pk}",
            actor=actor,
        )
        d.status, d.paid_by, d.paid_at, d.paid_on = S.PAID, actor, timezone.now(), paid_on
        d.payment_transaction = txn
        if reference:
            d.instrument_reference = reference
        if d.purpose == DisbursementPurpose.SUPPORT:
            d.settled_on = paid_on
        d.save(
            update_fields=[
                "status",
                "paid_by",
                "paid_at",
                "paid_on",
                "payment_transaction",
                "instrument_reference",
                "settled_on",
            ]
        )
        _audit(actor, d, "paid", S.APPROVED, sequence=txn.sequence)
    return d


def _settle_status(d: Disbursement) -> str:
    resolved_back = d.returned_amount + d.court_fees
    if d.outstanding > 0:
        return S.PARTLY_RETURNED if resolved_back or d.forfeited_amount else S.PAID
    if d.forfeited_amount == 0:
        return S.RETURNED
    return S.FORFEITED if resolved_back == 0 else S.SETTLED


def _record_outcome(
    *,
    actor,
    disbursement: Disbursement,
    token: str,
    occurred_on: dt.date,
    kind: str,
    returned: int = 0,
    fees: int = 0,
    forfeited: int = 0,
) -> Disbursement:
    require(actor, Capability.RECORD_OUTCOME)
    token = check_token(token)
    occurred_on = check_date(occurred_on, "date")
    total = returned + fees + forfeited
    if total <= 0:
        raise exceptions.InvalidDisbursement(gettext("Record an amount greater than zero."))
    with transaction.atomic():
        books_lock()
        d = _locked(disbursement)
        earlier = DisbursementOutcome.objects.filter(token=token).first()
        if earlier is not None:
            same = (earlier.disbursement_id, earlier.kind, earlier.returned_amount) == (
                d.pk,
                kind,
                returned,
            ) and (earlier.court_fees, earlier.forfeited_amount) == (fees, forfeited)
            if not same:
                raise exceptions.InvalidDisbursement(
                    gettext("This form was already used for another record.")
                )
            return d
        if d.purpose != DisbursementPurpose.BAIL or d.status not in (S.PAID, S.PARTLY_RETURNED):
            raise exceptions.InvalidTransition(
                gettext("Only paid bail that is still outstanding can come back or be forfeited.")
            )
        if occurred_on < d.paid_on:
            raise exceptions.InvalidDisbursement(
                gettext("This cannot happen before the bail was paid.")
            )
        if total > d.outstanding:
            raise exceptions.OutcomeExceedsOutstanding(
                gettext("Only %(outstanding)s of this bail is outstanding; this records %(total)s.")
                % {"outstanding": money(d.outstanding), "total": money(total)}
            )
        if kind == OutcomeKind.RETURN:
            legs = [(BANK, returned), (COURT_FEES, fees)]
            txn_kind, memo = TransactionKind.BAIL_RETURN, f"Bail returned, disbursement {d.pk}"
        else:
            legs = [(BAIL_FORFEITED, forfeited)]
            txn_kind, memo = TransactionKind.FORFEITURE, f"Bail forfeited, disbursement {d.pk}"
        legs = [(code, amount) for code, amount in legs if amount] + [(BAIL_OUTSTANDING, -total)]
        txn = transaction_post(
            kind=txn_kind,
            date=occurred_on,
            legs=legs,
            idempotency_key=f"disbursement:{d.pk}:{kind}:{token}",
            memo=memo,
            source_ref=f"disbursement:{d.pk}",
            actor=actor,
        )
        DisbursementOutcome.objects.create(
            disbursement=d,
            kind=kind,
            token=token,
            occurred_on=occurred_on,
            returned_amount=returned,
            court_fees=fees,
            forfeited_amount=forfeited,
            recorded_by=actor,
            recorded_at=timezone.now(),
            transaction=txn,
        )
        before = d.status
        d.returned_amount += returned
        d.court_fees += fees
        d.forfeited_amount += forfeited
        d.status = _settle_status(d)
        d.settled_on = occurred_on if d.outstanding == 0 else None
        d.save(
            update_fields=[
                "returned_amount",
                "court_fees",
                "forfeited_amount",
                "status",
                "settled_on",
            ]
        )
        _audit(actor, d, kind, before, sequence=txn.sequence, amount=total)
    return d


def disbursement_record_return(
    *,
    actor,
    disbursement: Disbursement,
    token: str,
    occurred_on: dt.date,
    returned_amount: int,
    court_fees: int = 0,
) -> Disbursement:
    """The court returned bail: ``returned_amount`` reached the bank and ``court_fees`` were
    withheld. Several returns may be recorded until nothing is outstanding."""
    return _record_outcome(
        actor=actor,
        disbursement=disbursement,
        token=token,
        occurred_on=occurred_on,
        kind=OutcomeKind.RETURN,
        returned=check_amount(returned_amount, "amount returned", allow_zero=True),
        fees=check_amount(court_fees, "court fees", allow_zero=True),
    )


def disbursement_record_forfeiture(
    *, actor, disbursement: Disbursement, token: str, occurred_on: dt.date, amount: int
) -> Disbursement:
    """The court kept ``amount`` of the bail."""
    return _record_outcome(
        actor=actor,
        disbursement=disbursement,
        token=token,
        occurred_on=occurred_on,
        kind=OutcomeKind.FORFEITURE,
        forfeited=check_amount(amount, "amount forfeited"),
    )
