"""The checks the disbursement and correction services share, and the words of their
refusals (``ledger.casework.disbursements``, ``ledger.casework.corrections``).

A refusal is worded when it is raised, in the language of the staff member acting (English
where none is active: tasks and commands). Its text is only shown, never stored: the audit
log of a refused approval keeps the conflict's code (``reason``), not the sentence.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from ledger import exceptions
from ledger.books.chart import CASH
from ledger.books.entries import MAX_ABS_AMOUNT
from ledger.books.fund_time import fund_today
from ledger.books.money import format_money
from ledger.books.periods import closed_through
from ledger.staff.credentials import APPROVER_RESET_REQUESTER, REQUESTER_RESET_APPROVER

# The fields a refusal names, as words of its sentence in the staff member's language.
FIELD_NAMES = {
    "amount": pgettext_lazy("field named in a refusal", "amount"),
    "amount returned": pgettext_lazy("field named in a refusal", "amount returned"),
    "amount forfeited": pgettext_lazy("field named in a refusal", "amount forfeited"),
    "corrected amount": pgettext_lazy("field named in a refusal", "corrected amount"),
    "court fees": pgettext_lazy("field named in a refusal", "court fees"),
    "date": pgettext_lazy("field named in a refusal", "date"),
    "payment date": pgettext_lazy("field named in a refusal", "payment date"),
    "date it was voided": pgettext_lazy("field named in a refusal", "date it was voided"),
}


def _field(what: str) -> dict[str, str]:
    return {"what": str(FIELD_NAMES.get(what, what))}


def money(amount: int) -> str:
    return format_money(amount, settings.FUND_CURRENCY)


def check_amount(value, what: str, *, allow_zero: bool = False) -> int:
    """``value``, a whole number of cents above zero (or zero, with ``allow_zero``);
    ``what`` is a key of :data:`FIELD_NAMES`."""
    if isinstance(value, bool) or not isinstance(value, int):
        message = gettext("The %(what)s must be a whole number of cents.")
        raise exceptions.InvalidDisbursement(message % _field(what))
    if value < 0 or (value == 0 and not allow_zero) or value > MAX_ABS_AMOUNT:
        message = gettext("The %(what)s must be more than zero.")
        raise exceptions.InvalidDisbursement(message % _field(what))
    return value


def check_past_date(value, what: str) -> dt.date:
    """``value``, a date (not a datetime) no later than the fund's today."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        message = gettext("The %(what)s must be a date.")
        raise exceptions.InvalidDisbursement(message % _field(what))
    if value > fund_today():
        message = gettext("The %(what)s cannot be in the future.")
        raise exceptions.InvalidDisbursement(message % _field(what))
    return value


def check_not_before(value: dt.date, what: str, not_before: dt.date) -> dt.date:
    if value < not_before:
        message = gettext("The %(what)s cannot be before %(day)s.")
        raise exceptions.InvalidDisbursement(
            message % {**_field(what), "day": f"{not_before:%Y-%m-%d}"}
        )
    return value


def check_date(value, what: str) -> dt.date:
    """A past date in the open period: what money moving on that day may be dated."""
    value = check_past_date(value, what)
    closed = closed_through()
    if closed is not None and value <= closed:
        message = gettext(
            "The books are closed through %(day)s: give a %(what)s in the open period."
        )
        raise exceptions.InvalidDisbursement(
            message % {**_field(what), "day": f"{closed:%Y-%m-%d}"}
        )
    return value


def check_token(token: str) -> str:
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise exceptions.InvalidDisbursement(
            gettext("The form expired; open it again and resubmit.")
        )
    return token


def source_short(source: str, amount: int) -> exceptions.InsufficientFunds:
    """The refusal of a payment of ``amount`` from ``source`` (the cash box or the bank)."""
    if source == CASH:
        message = gettext("The cash box does not hold %(amount)s.")
    else:
        message = gettext("The bank account does not hold %(amount)s.")
    return exceptions.InsufficientFunds(message % {"amount": money(amount)})


# Why an approver may not approve, when one of the two reset the other's credentials.
CONFLICTS = {
    REQUESTER_RESET_APPROVER: gettext_lazy(
        "Someone else must approve this: its requester reset your credentials after "
        "requesting it, or within %(hours)s hours before."
    ),
    APPROVER_RESET_REQUESTER: gettext_lazy(
        "Someone else must approve this: you reset its requester's credentials after the "
        "request, or within %(hours)s hours before it."
    ),
}


def conflict_refusal(conflict: str) -> exceptions.CredentialResetConflict:
    """The refusal of a credential-reset conflict: its ``reason`` (the conflict's code) is
    what the audit log keeps; the message is for the page."""
    hours = settings.STAFF_CREDENTIAL_COOLOFF_HOURS
    refusal = exceptions.CredentialResetConflict(CONFLICTS[conflict] % {"hours": hours})
    refusal.reason = conflict
    return refusal
