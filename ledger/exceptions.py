"""Typed errors of the books. Each docstring states the rule it protects.

Services raise these before writing anything; views, tasks and commands translate them
into form errors, 4xx answers or retries. A message shown to staff is worded when raised,
in the language of the person acting (English in tasks and commands); what the audit log
keeps of a refusal is a code (``reason``), never the message.
"""

from django.core.exceptions import PermissionDenied


class LedgerError(Exception):
    """Base class: the books refused a write and nothing was written."""


class InvalidEntry(LedgerError):
    """An entry must name a known kind, a date, a memo within limits and an idempotency key."""


class TooFewPostings(InvalidEntry):
    """A transaction has at least two legs: money comes from somewhere and goes somewhere."""


class InvalidAmount(InvalidEntry):
    """Every leg is a non-zero integer number of minor units (no floats, no zero legs)."""


class UnbalancedTransaction(InvalidEntry):
    """The legs of a transaction sum to exactly zero: debits equal credits."""


class UnknownAccount(InvalidEntry):
    """Postings go only to accounts in the chart of accounts."""


class AccountClosed(InvalidEntry):
    """A closed account takes no new postings."""


class CurrencyMismatch(InvalidEntry):
    """A fund keeps its books in one currency; every leg and account shares it."""


class PersonalDataInMemo(InvalidEntry):
    """Memos are read by auditors and the public: they never carry personal data."""


class PeriodClosed(InvalidEntry):
    """The entry is dated in a period the books have closed."""


class DateTooFarAhead(InvalidEntry):
    """The entry is dated further ahead than the books accept."""


class PeriodNotClosable(LedgerError):
    """The period cannot be closed: not ended, already closed, or not a whole period."""


class IdempotencyConflict(LedgerError):
    """One idempotency key records one fact: reusing it with other content is refused."""


class TimeZoneChanged(LedgerError):
    """FUND_TIME_ZONE is not the zone the books were started in."""


class AlreadyReversed(LedgerError):
    """A transaction is reversed at most once; a second correction must target the reversal."""


class BooksDiverged(LedgerError):
    """The journal no longer holds what a signed tree head says it held."""


class NotPermitted(PermissionDenied):
    """Staff act only within their role (see ``ledger.staff.roles`` and docs/permissions.md)."""


class MoneyRightsPaused(NotPermitted):
    """An account whose password or second factor someone else reset moves no money for
    STAFF_CREDENTIAL_COOLOFF_HOURS: whoever holds it now may not be the person it names."""


class DisbursementError(Exception):
    """Base class: a disbursement transition was refused and nothing was written."""


class InvalidDisbursement(DisbursementError):
    """A disbursement needs a case, a positive amount, a known payee kind and method."""


class InvalidTransition(DisbursementError):
    """A disbursement moves only along its lifecycle: requested → approved → paid → closed."""


class SelfApproval(DisbursementError):
    """Above DISBURSEMENT_TWO_PERSON_MIN the approver is someone other than the requester."""


class CredentialResetConflict(SelfApproval):
    """Above DISBURSEMENT_TWO_PERSON_MIN nobody approves a request when one of the two reset
    the other's credentials after it was made or within STAFF_CREDENTIAL_COOLOFF_HOURS
    before: the two accounts may be one person's."""


class InsufficientFunds(DisbursementError):
    """Money out never makes available funds (bank + cash − approved but unpaid) negative."""


class OutcomeExceedsOutstanding(DisbursementError):
    """Returns, court fees and forfeitures together never exceed the bail still outstanding."""
