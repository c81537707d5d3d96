"""Corrections to paid disbursements, as new entries in the books, never edits.

Three kinds (``CorrectionKind``):

* **void**: the check or wire was never cashed. The payment's entry is reversed on the day
  it was voided and the disbursement ends ``voided``; paying again is a new request.
* **payment**: the amount, date or method was recorded wrong. The payment's entry is
  reversed and the corrected payment posted.
* **outcome**: a return or forfeiture was recorded wrong. Its entry is reversed and, if
  given, the corrected return or forfeiture recorded in its place.

Each starts as a proposal with a written reason (:func:`correction_propose`) and takes
effect when applied (:func:`correction_apply`), both audited. Money out is corrected by two
people, as it is paid: from DISBURSEMENT_TWO_PERSON_MIN, someone other than the proposer
applies a void or a payment correction, and the credential-reset rule of approvals holds.

The reversing entry has the kind of the entry it reverses (so the statements' bail
roll-forward and the sub-ledger checks net it where it belongs), names that entry in
``reverses`` (each entry is reversed at most once) and is booked for the disbursement.
Entries are dated on the day of the fact, or on the first open day when that day is in a
closed period (``ledger.books.periods``): a closed month is never written into, and the
memo refers back to the entry corrected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ledger import exceptions
from ledger.books.chart import BAIL_FORFEITED, BAIL_OUTSTANDING, BANK, COURT_FEES, DIRECT_SUPPORT
from ledger.books.entries import Entry
from ledger.books.periods import closed_through
from ledger.books.posting import audit_record, books_lock, entry_post
from ledger.casework import disbursements as rules
from ledger.casework import refusals
from ledger.casework.correction_records import (
    Correction,
    CorrectionKind,
    CorrectionStatus,
    standing,
)
from ledger.models import (
    Disbursement,
    DisbursementOutcome,
    DisbursementPurpose,
    DisbursementStatus,
    JournalTransaction,
    OutcomeKind,
    PaymentMethod,
    Posting,
    TransactionKind,
)
from ledger.staff.credentials import approval_conflict
from ledger.staff.roles import Capability, require

S = DisbursementStatus
REASON_MAX = 1000
K = CorrectionKind


@dataclass
class _Plan:
    """What applying a correction posts and changes, worked out from the disbursement as it
    stands; building it checks every rule, so a proposal is refused early and an
    application again under the books' lock."""

    reverse: JournalTransaction
    reversal_date: dt.date
    replacement: Entry | None = None
    changes: dict = field(default_factory=dict)


def _open_day(day: dt.date) -> dt.date:
    """``day``, or the first open day when ``day`` is in a closed period."""
    closed = closed_through()
    return closed + dt.timedelta(days=1) if closed is not None and day <= closed else day


def _legs(txn: JournalTransaction) -> list[tuple[str, int]]:
    return list(Posting.objects.filter(transaction=txn).values_list("account__code", "amount"))


def _check_fact_date(value, what: str, *, not_before: dt.date | None = None) -> dt.date:
    value = refusals.check_past_date(value, what)
    return value if not_before is None else refusals.check_not_before(value, what, not_before)


def _standing(d: Disbursement):
    return standing(DisbursementOutcome.objects.filter(disbursement=d))


def _not_reversed(txn: JournalTransaction) -> JournalTransaction:
    later = JournalTransaction.objects.filter(reverses=txn).first()
    if later is not None:
        raise exceptions.InvalidTransition(
            gettext("Entry #%(entry)s was already reversed by #%(reversal)s.")
            % {"entry": txn.sequence, "reversal": later.sequence}
        )
    return txn


def _plan_void(d: Disbursement, c: Correction) -> _Plan:
    if _standing(d).exists():
        raise exceptions.InvalidTransition(
            gettext("Undo this disbursement's returns and forfeitures before voiding its payment.")
        )
    voided_on = _check_fact_date(c.new_date, "date it was voided", not_before=d.paid_on)
    voided_on = refusals.check_date(voided_on, "date it was voided")
    changes = {"status": S.VOIDED, "paid_on": None, "settled_on": None}
    return _Plan(_not_reversed(d.payment_transaction), voided_on, None, changes)


def _plan_payment(d: Disbursement, c: Correction) -> _Plan:
    amount = refusals.check_amount(c.new_amount, "corrected amount")
    method = c.new_method
    if method not in PaymentMethod.values:
        raise exceptions.InvalidDisbursement(gettext("Choose how it was paid."))
    outcomes = list(_standing(d).values_list("occurred_on", flat=True))
    paid_on = _check_fact_date(c.new_date, "payment date")
    if outcomes and paid_on > min(outcomes):
        raise exceptions.InvalidDisbursement(
            gettext("The payment date cannot be after its first return or forfeiture (%(day)s).")
            % {"day": f"{min(outcomes):%Y-%m-%d}"}
        )
    if (amount, paid_on, method) == (d.amount, d.paid_on, d.method):
        raise exceptions.InvalidDisbursement(gettext("Change the amount, the date or the method."))
    resolved = d.returned_amount + d.court_fees + d.forfeited_amount
    if amount < resolved:
        raise exceptions.OutcomeExceedsOutstanding(
            gettext(
                "%(resolved)s of it has already come back or been forfeited; "
                "the amount cannot be less."
            )
            % {"resolved": refusals.money(resolved)}
        )
    source, was = rules._source_account(method), rules._source_account(d.method)
    bank, cash = rules._funds()
    holds = (cash if source == rules.CASH else bank) + (d.amount if source == was else 0)
    if holds < amount:
        raise refusals.source_short(source, amount)
    original = _not_reversed(d.payment_transaction)
    target = BAIL_OUTSTANDING if d.purpose == DisbursementPurpose.BAIL else DIRECT_SUPPORT
    replacement = Entry(
        kind=TransactionKind.DISBURSEMENT,
        date=_open_day(paid_on),
        legs=((target, amount), (source, -amount)),
        idempotency_key=f"correction:{c.pk}:replacement",
        memo=f"Corrected payment, disbursement {d.pk} (corrects #{original.sequence})",
        source_ref=f"disbursement:{d.pk}",
    )
    changes = {"amount": amount, "paid_on": paid_on, "method": method}
    return _Plan(original, _open_day(original.date), replacement, changes)


def _plan_outcome(d: Disbursement, c: Correction) -> _Plan:
    outcome = c.outcome
    if outcome is None or outcome.disbursement_id != d.pk:
        raise exceptions.InvalidDisbursement(
            gettext("Choose a return or forfeiture of this disbursement.")
        )
    if not _standing(d).filter(pk=outcome.pk).exists():
        raise exceptions.InvalidTransition(gettext("This return or forfeiture was already undone."))
    original = _not_reversed(outcome.transaction)
    was = outcome.returned_amount + outcome.court_fees + outcome.forfeited_amount
    plan = _Plan(original, _open_day(original.date))
    returned = refusals.check_amount(c.new_returned or 0, "amount returned", allow_zero=True)
    fees = refusals.check_amount(c.new_fees or 0, "court fees", allow_zero=True)
    forfeited = refusals.check_amount(c.new_amount or 0, "amount forfeited", allow_zero=True)
    if outcome.kind == OutcomeKind.RETURN and forfeited:
        raise exceptions.InvalidDisbursement(gettext("A return is corrected by a return."))
    if outcome.kind == OutcomeKind.FORFEITURE and (returned or fees):
        raise exceptions.InvalidDisbursement(gettext("A forfeiture is corrected by a forfeiture."))
    total = returned + fees + forfeited
    plan.changes = {
        "returned_amount": d.returned_amount - outcome.returned_amount + returned,
        "court_fees": d.court_fees - outcome.court_fees + fees,
        "forfeited_amount": d.forfeited_amount - outcome.forfeited_amount + forfeited,
    }
    if not total:
        if c.new_date is not None:
            raise exceptions.InvalidDisbursement(
                gettext("Give the corrected amounts with their date.")
            )
        return plan
    if total > d.outstanding + was:
        raise exceptions.OutcomeExceedsOutstanding(
            gettext(
                "Only %(outstanding)s of this bail would be outstanding; this records %(total)s."
            )
            % {"outstanding": refusals.money(d.outstanding + was), "total": refusals.money(total)}
        )
    occurred_on = _check_fact_date(c.new_date, "date", not_before=d.paid_on)
    if outcome.kind == OutcomeKind.RETURN:
        legs = [(BANK, returned), (COURT_FEES, fees)]
        kind, what = TransactionKind.BAIL_RETURN, "Corrected return"
    else:
        legs = [(BAIL_FORFEITED, forfeited)]
        kind, what = TransactionKind.FORFEITURE, "Corrected forfeiture"
    plan.replacement = Entry(
        kind=kind,
        date=_open_day(occurred_on),
        legs=tuple((code, amount) for code, amount in legs if amount)
        + ((BAIL_OUTSTANDING, -total),),
        idempotency_key=f"correction:{c.pk}:replacement",
        memo=f"{what}, disbursement {d.pk} (corrects #{original.sequence})",
        source_ref=f"disbursement:{d.pk}",
    )
    return plan


PLANS = {K.VOID: _plan_void, K.PAYMENT: _plan_payment, K.OUTCOME: _plan_outcome}


def _plan(d: Disbursement, c: Correction) -> _Plan:
    if d.status not in rules.PAID_STATES:
        raise exceptions.InvalidTransition(
            gettext("Only a paid disbursement is corrected; this one is %(state)s.")
            % {"state": rules._state(d)}
        )
    if c.kind == K.OUTCOME and d.purpose != DisbursementPurpose.BAIL:
        raise exceptions.InvalidTransition(gettext("Only bail comes back or is forfeited."))
    return PLANS[c.kind](d, c)


def correction_propose(
    *,
    actor,
    disbursement: Disbursement,
    kind: str,
    reason: str,
    token: str,
    new_amount: int | None = None,
    new_date: dt.date | None = None,
    new_method: str = "",
    outcome: DisbursementOutcome | None = None,
    new_returned: int | None = None,
    new_fees: int | None = None,
) -> Correction:
    """Propose a correction of a paid disbursement, with the reason it is needed. It is
    checked now as it would be applied, and waits for :func:`correction_apply`. A second
    call with the same form token returns the first proposal."""
    require(actor, Capability.CORRECT_ENTRIES)
    token = refusals.check_token(token)
    if kind not in K.values:
        raise exceptions.InvalidDisbursement(gettext("Choose what to correct."))
    reason = (reason or "").strip()
    if not reason:
        raise exceptions.InvalidDisbursement(gettext("Say why the correction is needed."))
    if len(reason) > REASON_MAX:
        raise exceptions.InvalidDisbursement(
            gettext("The reason is at most %(max)s characters.") % {"max": REASON_MAX}
        )
    with transaction.atomic():
        d = rules._locked(disbursement)
        earlier = Correction.objects.filter(token=token).first()
        if earlier is not None:
            if (earlier.disbursement_id, earlier.kind) != (d.pk, kind):
                raise exceptions.InvalidDisbursement(
                    gettext("This form was already used for another one.")
                )
            return earlier
        if d.corrections.filter(status=CorrectionStatus.PROPOSED).exists():
            raise exceptions.InvalidTransition(
                gettext(
                    "A correction of this disbursement is already waiting: "
                    "apply or withdraw it first."
                )
            )
        old = outcome if kind == K.OUTCOME and outcome is not None else None
        c = Correction(
            disbursement=d,
            kind=kind,
            token=token,
            reason=reason,
            outcome=outcome if kind == K.OUTCOME else None,
            old_amount=(
                old.returned_amount + old.court_fees + old.forfeited_amount if old else d.amount
            ),
            old_date=old.occurred_on if old else (d.paid_on or d.requested_at.date()),
            old_method="" if old else d.method,
            new_amount=new_amount,
            new_date=new_date,
            new_method=new_method or "",
            new_returned=new_returned,
            new_fees=new_fees,
            proposed_by=actor,
            proposed_at=timezone.now(),
        )
        _plan(d, c)
        c.save()
        rules._audit(actor, d, "correction_proposed", d.status, correction=c.pk, kind=kind)
    return c


def needs_two_people(c: Correction) -> bool:
    """Whether someone other than the proposer must apply ``c``: money out from
    DISBURSEMENT_TWO_PERSON_MIN (the larger of the old and new amounts)."""
    if c.kind == K.OUTCOME:
        return False
    return max(c.old_amount, c.new_amount or 0) >= settings.DISBURSEMENT_TWO_PERSON_MIN


def apply_capability(c: Correction) -> Capability:
    """What applying ``c`` takes: approving money out, or recording a return."""
    return Capability.RECORD_OUTCOME if c.kind == K.OUTCOME else Capability.APPROVE_DISBURSEMENT


def correction_apply(*, actor, correction: Correction) -> Correction:
    """Apply a proposed correction: post the reversing entry and the corrected one and
    bring the disbursement (and its returns) in line. A void or payment correction from
    DISBURSEMENT_TWO_PERSON_MIN is applied by someone other than its proposer, by the rule
    of approvals; a refusal of that rule is audited."""
    require(actor, apply_capability(correction))
    try:
        return _apply(actor, correction)
    except exceptions.SelfApproval as refusal:
        details = {
            "reason": getattr(refusal, "reason", "self_approval"),
            "correction": correction.pk,
        }
        action = "disbursement.correction_refused"
        audit_record(actor, "disbursement", correction.disbursement_id, action, details)
        raise


def _apply(actor, correction: Correction) -> Correction:
    with transaction.atomic():
        books_lock()
        d = rules._locked(correction.disbursement)
        c = Correction.objects.select_for_update().get(pk=correction.pk)
        if c.status == CorrectionStatus.APPLIED and c.decided_by_id == actor.pk:
            return c
        if c.status != CorrectionStatus.PROPOSED:
            raise exceptions.InvalidTransition(
                gettext("This correction is %(state)s; nothing was done.")
                % {"state": c.get_status_display().lower()}
            )
        if needs_two_people(c):
            if c.proposed_by_id == actor.pk:
                raise exceptions.SelfApproval(
                    gettext(
                        "Someone other than the person who proposed it must apply this correction."
                    )
                )
            conflict = approval_conflict(
                approver_id=actor.pk, requester_id=c.proposed_by_id, requested_at=c.proposed_at
            )
            if conflict:
                raise refusals.conflict_refusal(conflict)
        plan = _plan(d, c)
        c.reversal = _post_reversal(plan, c, d, actor)
        if plan.replacement is not None:
            c.replacement = entry_post(plan.replacement, actor=actor)
        before = d.status
        _bring_in_line(d, c, plan, actor)
        c.status, c.decided_by, c.decided_at = CorrectionStatus.APPLIED, actor, timezone.now()
        c.save(update_fields=["status", "decided_by", "decided_at", "reversal", "replacement"])
        sequences = [t.sequence for t in (c.reversal, c.replacement) if t is not None]
        rules._audit(
            actor, d, "corrected", before, correction=c.pk, kind=c.kind, sequences=sequences
        )
    return c


def _post_reversal(plan: _Plan, c: Correction, d: Disbursement, actor) -> JournalTransaction:
    original = plan.reverse
    what = "Void" if c.kind == K.VOID else "Reversal"
    entry = Entry(
        kind=original.kind,
        date=plan.reversal_date,
        legs=tuple((code, -amount) for code, amount in _legs(original)),
        idempotency_key=f"correction:{c.pk}:reversal",
        memo=f"{what} of #{original.sequence}, disbursement {d.pk}, correction {c.pk}",
        source_ref=original.source_ref,
        reverses=original,
    )
    return entry_post(entry, actor=actor)


def _bring_in_line(d: Disbursement, c: Correction, plan: _Plan, actor) -> None:
    for name, value in plan.changes.items():
        setattr(d, name, value)
    if c.kind == K.PAYMENT:
        d.payment_transaction = c.replacement
    if c.kind == K.OUTCOME and c.replacement is not None:
        o = c.outcome
        DisbursementOutcome.objects.create(
            disbursement=d,
            kind=o.kind,
            token=f"correction:{c.pk}",
            occurred_on=c.new_date,
            returned_amount=c.new_returned or 0,
            court_fees=c.new_fees or 0,
            forfeited_amount=c.new_amount or 0,
            recorded_by=actor,
            recorded_at=timezone.now(),
            transaction=c.replacement,
        )
    if c.kind != K.VOID:
        if d.purpose == DisbursementPurpose.BAIL:
            d.status = rules._settle_status(d)
            last = _standing(d).order_by("-occurred_on").values_list("occurred_on", flat=True)
            d.settled_on = last.first() if d.outstanding == 0 else None
        else:
            d.settled_on = d.paid_on
    d.save(
        update_fields=[
            "status",
            "amount",
            "method",
            "paid_on",
            "settled_on",
            "payment_transaction",
            "returned_amount",
            "court_fees",
            "forfeited_amount",
        ]
    )


def correction_withdraw(*, actor, correction: Correction) -> Correction:
    """Withdraw a proposal that is waiting; nothing was posted, so nothing is reversed."""
    require(actor, Capability.CORRECT_ENTRIES)
    with transaction.atomic():
        c = Correction.objects.select_for_update().get(pk=correction.pk)
        if c.status == CorrectionStatus.WITHDRAWN:
            return c
        if c.status != CorrectionStatus.PROPOSED:
            raise exceptions.InvalidTransition(
                gettext("An applied correction cannot be withdrawn.")
            )
        c.status, c.decided_by, c.decided_at = CorrectionStatus.WITHDRAWN, actor, timezone.now()
        c.save(update_fields=["status", "decided_by", "decided_at"])
        d = c.disbursement
        rules._audit(actor, d, "correction_withdrawn", d.status, correction=c.pk)
    return c
