"""What the disbursement page shows of corrections: each one with what it was, what it
becomes and why, the forms that propose one, and the sentence its confirmation states."""

from __future__ import annotations

from django.conf import settings

from ledger.books.money import format_money, format_units
from ledger.casework.correction_forms import (
    ApplyForm,
    OutcomeCorrectionForm,
    PaymentCorrectionForm,
    VoidForm,
)
from ledger.casework.correction_records import CorrectionKind, CorrectionStatus, standing
from ledger.casework.corrections import apply_capability, needs_two_people
from ledger.casework.disbursements import PAID_STATES
from ledger.models import Disbursement, DisbursementOutcome, DisbursementPurpose, PaymentMethod
from ledger.staff.roles import Capability, user_can

K = CorrectionKind


def _money(amount: int) -> str:
    return format_money(amount, settings.FUND_CURRENCY)


def _method(code: str) -> str:
    return PaymentMethod(code).label.lower() if code in PaymentMethod.values else code


def _outcome_label(o: DisbursementOutcome) -> str:
    amount = o.returned_amount + o.court_fees + o.forfeited_amount
    return f"{o.get_kind_display()}, {_money(amount)} (recorded {o.recorded_at:%Y-%m-%d})"


def describe(c) -> str:
    """What applying ``c`` does, in one sentence for its confirmation and history."""
    d = c.disbursement
    if c.kind == K.VOID:
        return (
            f"Void the payment of {_money(c.old_amount)}: its entry is reversed on "
            f"{c.new_date:%Y-%m-%d} and the disbursement ends voided."
        )
    if c.kind == K.PAYMENT:
        return (
            f"Reverse the payment of {_money(c.old_amount)} ({c.old_date:%Y-%m-%d}, "
            f"{_method(c.old_method)}) and post {_money(c.new_amount)} "
            f"({c.new_date:%Y-%m-%d}, {_method(c.new_method)}) instead."
        )
    undone = f"Undo the {c.outcome.get_kind_display().lower()} of {_money(c.old_amount)}"
    again = (c.new_returned or 0) + (c.new_fees or 0) + (c.new_amount or 0)
    if not again:
        return f"{undone}: the bail is outstanding again for that amount (disbursement {d.pk})."
    parts = [
        f"{label} {_money(value)}"
        for label, value in (
            ("returned", c.new_returned),
            ("court fees", c.new_fees),
            ("forfeited", c.new_amount),
        )
        if value
    ]
    return f"{undone} and record {', '.join(parts)} on {c.new_date:%Y-%m-%d} instead."


def _may_apply(user, c) -> bool:
    """An Apply button only where it can succeed (``ledger.casework.corrections``)."""
    if not user_can(user, apply_capability(c)):
        return False
    return not (needs_two_people(c) and c.proposed_by_id == user.pk)


def correction_context(user, d: Disbursement, forms: dict) -> dict:
    corrections = list(
        d.corrections.select_related(
            "proposed_by",
            "decided_by",
            "reversal__reverses",
            "replacement",
            "outcome",
            "disbursement",
        )
    )
    waiting = next((c for c in corrections if c.status == CorrectionStatus.PROPOSED), None)
    for c in corrections:
        c.description = describe(c)
    outcomes = list(standing(DisbursementOutcome.objects.filter(disbursement=d)))
    can_propose = (
        d.status in PAID_STATES and waiting is None and user_can(user, Capability.CORRECT_ENTRIES)
    )
    amount = format_units(d.amount, settings.FUND_CURRENCY)
    initial = {"new_amount": amount, "new_date": d.paid_on, "new_method": d.method}
    return {
        "corrections": corrections,
        "waiting_correction": waiting,
        "can_apply_correction": waiting is not None and _may_apply(user, waiting),
        "can_withdraw_correction": waiting is not None
        and user_can(user, Capability.CORRECT_ENTRIES),
        "can_propose_correction": can_propose,
        "can_void": can_propose and not outcomes,
        "can_undo_outcome": can_propose and d.purpose == DisbursementPurpose.BAIL and outcomes,
        "void_form": forms.get("void_form") or VoidForm(prefix="void"),
        "payment_correction_form": forms.get("payment_correction_form")
        or PaymentCorrectionForm(prefix="fix", initial=initial),
        "outcome_correction_form": forms.get("outcome_correction_form")
        or OutcomeCorrectionForm(
            prefix="undo", outcomes=[(o.pk, _outcome_label(o)) for o in outcomes]
        ),
        "apply_form": forms.get("apply_form") or ApplyForm(prefix="apply"),
    }
