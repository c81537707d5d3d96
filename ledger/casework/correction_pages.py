"""What the disbursement page shows of corrections: each one with what it was, what it
becomes and why, the forms that propose one, and the sentence its confirmation states."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext

from ledger.books.money import format_money
from ledger.casework.correction_forms import (
    ApplyForm,
    OutcomeCorrectionForm,
    PaymentCorrectionForm,
    VoidForm,
)
from ledger.casework.correction_records import CorrectionKind, CorrectionStatus, standing
from ledger.casework.corrections import apply_capability, needs_two_people
from ledger.casework.disbursements import PAID_STATES
from ledger.models import (
    Disbursement,
    DisbursementOutcome,
    DisbursementPurpose,
    OutcomeKind,
    PaymentMethod,
)
from ledger.staff.roles import Capability, user_can

K = CorrectionKind


def _money(amount: int) -> str:
    return format_money(amount, settings.FUND_CURRENCY)


def _method(code: str) -> str:
    return PaymentMethod(code).label.lower() if code in PaymentMethod.values else code


def _outcome_label(o: DisbursementOutcome) -> str:
    amount = o.returned_amount + o.court_fees + o.forfeited_amount
    label = gettext("%(kind)s, %(amount)s (recorded %(day)s)")
    return label % {
        "kind": o.get_kind_display(),
        "amount": _money(amount),
        "day": f"{o.recorded_at:%Y-%m-%d}",
    }


def _undo_sentence(c) -> str:
    """The sentence that undoes ``c.outcome``, in the active language, with placeholders
    ``amount``, and ``number`` (undo only) or ``parts`` and ``day`` (record again)."""
    again = (c.new_returned or 0) + (c.new_fees or 0) + (c.new_amount or 0)
    if c.outcome.kind == OutcomeKind.FORFEITURE:
        if not again:
            return gettext(
                "Undo the bail forfeited of %(amount)s: the bail is outstanding again for "
                "that amount (disbursement %(number)s)."
            )
        return gettext(
            "Undo the bail forfeited of %(amount)s and record %(parts)s on %(day)s instead."
        )
    if not again:
        return gettext(
            "Undo the bail returned of %(amount)s: the bail is outstanding again for "
            "that amount (disbursement %(number)s)."
        )
    return gettext("Undo the bail returned of %(amount)s and record %(parts)s on %(day)s instead.")


def describe(c) -> str:
    """What applying ``c`` does, in one sentence for its confirmation and history, in the
    active language: shown on the page only, never stored."""
    d = c.disbursement
    if c.kind == K.VOID:
        sentence = gettext(
            "Void the payment of %(amount)s: its entry is reversed on %(day)s and the "
            "disbursement ends voided."
        )
        return sentence % {"amount": _money(c.old_amount), "day": f"{c.new_date:%Y-%m-%d}"}
    if c.kind == K.PAYMENT:
        sentence = gettext(
            "Reverse the payment of %(old_amount)s (%(old_day)s, %(old_method)s) and post "
            "%(new_amount)s (%(new_day)s, %(new_method)s) instead."
        )
        return sentence % {
            "old_amount": _money(c.old_amount),
            "old_day": f"{c.old_date:%Y-%m-%d}",
            "old_method": _method(c.old_method),
            "new_amount": _money(c.new_amount),
            "new_day": f"{c.new_date:%Y-%m-%d}",
            "new_method": _method(c.new_method),
        }
    parts = [
        label % {"amount": _money(value)}
        for label, value in (
            (gettext("returned %(amount)s"), c.new_returned),
            (gettext("court fees %(amount)s"), c.new_fees),
            (gettext("forfeited %(amount)s"), c.new_amount),
        )
        if value
    ]
    return _undo_sentence(c) % {
        "amount": _money(c.old_amount),
        "number": d.pk,
        "parts": ", ".join(parts),
        "day": f"{c.new_date:%Y-%m-%d}" if c.new_date else "",
    }


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
    initial = {"new_amount": d.amount, "new_date": d.paid_on, "new_method": d.method}
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
