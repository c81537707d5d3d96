"""Which statement line is which entry in the books: proposed here, decided by staff.

A line and a leg on the statement's books account are a candidate pair when:

* the amounts are equal, sign included (money into the bank is a debit of
  ``assets:bank``);
* they are dated at most ``BANK_MATCH_DAYS`` apart; or, when the bank printed the
  entry's reference (a disbursement's check number, a deposited check's number, a Stripe
  payout's id), the line is dated from ``BANK_MATCH_DAYS`` before the entry to
  ``REFERENCE_DAYS`` after it: a check can take months to be cashed.

Each pair is scored: nearer dates, a matching reference and a description that says what
the entry is (``STRIPE`` for a payout, ``COURT`` or ``COUNTY`` for a refund) score higher.
The best pairs are proposed first, one per line and one per leg, never a pair that was
rejected, nor a leg already matched or proposed. A line left without a proposal is a
discrepancy (kind ``bank_statement_line``) until it is matched or resolved.

Confirming records the match (audited) and closes the line's discrepancy; rejecting
records that too, and the line becomes a discrepancy again if nothing else is proposed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from donations.bank.books import BankLeg, legs_between, normalise_reference
from donations.exceptions import InvalidBankMatch
from donations.models import (
    BankMatch,
    BankStatement,
    BankStatementLine,
    Discrepancy,
    DiscrepancyStatus,
    MatchStatus,
)
from donations.reconciliation.discrepancies import discrepancy_resolve
from ledger.books.money import format_money
from ledger.books.posting import audit_record
from ledger.models import TransactionKind
from ledger.staff.roles import Capability, require

K = TransactionKind
DISCREPANCY_KIND = "bank_statement_line"
REFERENCE_DAYS = 180
LIVE = (MatchStatus.PROPOSED, MatchStatus.CONFIRMED)
# Words a bank's description uses for what an entry is.
HINTS = {
    K.PAYOUT: ("STRIPE",),
    K.BAIL_RETURN: ("COURT", "COUNTY", "CLERK", "TREASURER", "REFUND", "BAIL"),
    K.DISBURSEMENT: ("CHECK", "CHK", "CHEQUE", "CASHIERS", "OFFICIAL"),
    K.OFFLINE_GIFT: ("DEPOSIT", "DEP", "REMOTE", "MOBILE"),
}
_WORD = re.compile(r"[0-9A-Za-z]+")


def discrepancy_object(line_id: int) -> str:
    return f"bank_line:{line_id}"


def _tokens(line: BankStatementLine) -> set[str]:
    """What in the line could be a reference: each word, and each run of text between
    spaces (``po_1PzX7Y8Z9``, ``#1042``), as ``normalise_reference`` writes them."""
    text = f"{line.description} {line.reference} {line.check_number}"
    tokens = {normalise_reference(word) for word in _WORD.findall(text)}
    tokens.update(normalise_reference(chunk) for chunk in text.split())
    return {token for token in tokens if token}


def _words(line: BankStatementLine) -> set[str]:
    return {word.upper() for word in _WORD.findall(f"{line.description} {line.reference}")}


@dataclass(frozen=True)
class Candidate:
    score: int
    days: int
    line: BankStatementLine
    leg: BankLeg
    reasons: str


def _candidate(line, leg: BankLeg, window: int, tokens: set[str], words: set[str]):
    days = (line.posted_on - leg.date).days
    referenced = any(len(ref) >= 3 and ref in tokens for ref in leg.references)
    if not (abs(days) <= window or (referenced and -window <= days <= REFERENCE_DAYS)):
        return None
    reasons = ["same amount", "same day" if days == 0 else f"{abs(days)} days apart"]
    score = max(10, 50 - 5 * abs(days)) if abs(days) <= window else 10
    if referenced:
        score += 40
        reasons.append("reference matches")
    hints = [hint for hint in HINTS.get(leg.kind, ()) if hint in words]
    if hints:
        score += 10
        reasons.append(f"description says {hints[0]}")
    return Candidate(min(score, 100), abs(days), line, leg, "; ".join(reasons))


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class Proposed:
    proposals: int
    unmatched: int


def propose_matches(statement: BankStatement, *, window: int | None = None) -> Proposed:
    """Propose a leg for each of the statement's lines that has none proposed or matched;
    open a discrepancy for each line left without one. Run again, it proposes only what
    is new (an entry posted since, say)."""
    window = settings.BANK_MATCH_DAYS if window is None else window
    live = BankMatch.objects.filter(line_id=OuterRef("pk"), status__in=LIVE)
    lines = list(statement.lines.annotate(live=Exists(live)).filter(live=False))
    if not lines:
        return Proposed(0, 0)
    code = statement.account_code
    start = min(line.posted_on for line in lines)
    end = max(line.posted_on for line in lines)
    reach = dt.timedelta(days=REFERENCE_DAYS)
    legs = legs_between(code, start - reach, end + dt.timedelta(days=window))
    taken: set[int] = set()
    for chunk in _chunks([leg.posting_id for leg in legs]):
        taken.update(
            BankMatch.objects.filter(posting_id__in=chunk, status__in=LIVE).values_list(
                "posting_id", flat=True
            )
        )
    rejected: set[tuple[int, int]] = set()
    for chunk in _chunks([line.pk for line in lines]):
        rejected.update(
            BankMatch.objects.filter(line_id__in=chunk, status=MatchStatus.REJECTED).values_list(
                "line_id", "posting_id"
            )
        )
    by_amount: dict[int, list[BankLeg]] = {}
    for leg in legs:
        if leg.posting_id not in taken:
            by_amount.setdefault(leg.amount, []).append(leg)
    candidates = []
    for line in lines:
        legs_here = by_amount.get(line.amount)
        if not legs_here:
            continue
        tokens, words = _tokens(line), _words(line)
        for leg in legs_here:
            if (line.pk, leg.posting_id) in rejected:
                continue
            candidate = _candidate(line, leg, window, tokens, words)
            if candidate is not None:
                candidates.append(candidate)
    candidates.sort(key=lambda c: (-c.score, c.days, c.line.posted_on, c.line.pk, c.leg.sequence))
    chosen_lines: set[int] = set()
    now = timezone.now()
    proposals = []
    for candidate in candidates:
        if candidate.line.pk in chosen_lines or candidate.leg.posting_id in taken:
            continue
        chosen_lines.add(candidate.line.pk)
        taken.add(candidate.leg.posting_id)
        proposals.append(
            BankMatch(
                line=candidate.line,
                transaction_id=candidate.leg.transaction_id,
                posting_id=candidate.leg.posting_id,
                score=candidate.score,
                reasons=candidate.reasons[:200],
                proposed_at=now,
            )
        )
    with transaction.atomic():
        BankMatch.objects.bulk_create(proposals, batch_size=1000)
        unmatched = [line for line in lines if line.pk not in chosen_lines]
        open_discrepancies(statement, unmatched)
    return Proposed(len(proposals), len(unmatched))


def _description(statement: BankStatement, line: BankStatementLine) -> str:
    money = format_money(line.amount, statement.currency)
    return (
        f"Bank statement line with no entry in the books: {line.posted_on:%Y-%m-%d}, {money} "
        f"(statement {statement.pk}, line {line.position}). Match it on the statement's "
        "page, or post the missing entry."
    )


def open_discrepancies(statement: BankStatement, lines: list[BankStatementLine]) -> int:
    """A discrepancy for each line, unless one is open for it already: one insert for all
    (the open-once constraint skips those already open). Returns how many were opened."""
    if not lines:
        return 0
    now = timezone.now()
    objects = [discrepancy_object(line.pk) for line in lines]
    already: set[str] = set()
    for chunk in _chunks(objects):
        already.update(
            Discrepancy.objects.filter(
                kind=DISCREPANCY_KIND, stripe_object__in=chunk, status=DiscrepancyStatus.OPEN
            ).values_list("stripe_object", flat=True)
        )
    new = [
        Discrepancy(
            kind=DISCREPANCY_KIND,
            stripe_object=obj,
            expected=line.amount,
            found=None,
            description=_description(statement, line)[:300],
            last_seen_at=now,
        )
        for obj, line in zip(objects, lines, strict=True)
        if obj not in already
    ]
    Discrepancy.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)


def _locked(match: BankMatch) -> BankMatch:
    """The match, its row locked; only its own row: the application may not lock the
    books' rows (it may only read and insert them)."""
    return (
        BankMatch.objects.select_for_update(of=("self",))
        .select_related("line", "line__statement", "transaction")
        .get(pk=match.pk)
    )


def _details(match: BankMatch) -> dict:
    """What the audit log keeps of a match: numbers only, nothing the bank wrote."""
    return {
        "statement": match.line.statement_id,
        "line": match.line_id,
        "sequence": match.transaction.sequence,
        "posting": match.posting_id,
        "amount": match.line.amount,
    }


def match_confirm(*, actor, match: BankMatch) -> BankMatch:
    """Staff say the line is the entry: recorded once, audited; the line's discrepancy
    closes. A line or a leg already matched elsewhere refuses it."""
    require(actor, Capability.RECONCILE)
    try:
        with transaction.atomic():
            locked = _locked(match)
            if locked.status == MatchStatus.CONFIRMED:
                return locked
            if locked.status == MatchStatus.REJECTED:
                raise InvalidBankMatch(
                    gettext("This proposal was rejected; it cannot be confirmed now.")
                )
            others = BankMatch.objects.filter(status=MatchStatus.CONFIRMED).exclude(pk=locked.pk)
            if others.filter(line_id=locked.line_id).exists():
                raise InvalidBankMatch(
                    gettext("This statement line is already matched to an entry.")
                )
            if others.filter(posting_id=locked.posting_id).exists():
                raise InvalidBankMatch(
                    gettext("This entry in the books is already matched to another statement line.")
                )
            locked.status = MatchStatus.CONFIRMED
            locked.decided_at, locked.decided_by = timezone.now(), actor
            locked.save(update_fields=["status", "decided_at", "decided_by"])
            audit_record(actor, "bank_match", locked.pk, "bank_match.confirmed", _details(locked))
            for discrepancy in Discrepancy.objects.filter(
                kind=DISCREPANCY_KIND,
                stripe_object=discrepancy_object(locked.line_id),
                status=DiscrepancyStatus.OPEN,
            ):
                sequence = locked.transaction.sequence
                note = f"Matched to ledger no. {sequence} (bank match {locked.pk})."
                discrepancy_resolve(discrepancy=discrepancy, actor=actor, note=note)
    except IntegrityError:
        # Another confirmation of the same line or leg committed first.
        raise InvalidBankMatch(gettext("This line or entry was matched by someone else just now."))
    return locked


def match_reject(*, actor, match: BankMatch) -> BankMatch:
    """Staff say the line is not the entry: recorded, audited, never proposed again; a
    line left with nothing proposed is a discrepancy again."""
    require(actor, Capability.RECONCILE)
    with transaction.atomic():
        locked = _locked(match)
        if locked.status == MatchStatus.REJECTED:
            return locked
        if locked.status == MatchStatus.CONFIRMED:
            raise InvalidBankMatch(gettext("A confirmed match is not undone by rejecting it."))
        locked.status = MatchStatus.REJECTED
        locked.decided_at, locked.decided_by = timezone.now(), actor
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(actor, "bank_match", locked.pk, "bank_match.rejected", _details(locked))
        line = locked.line
        if not BankMatch.objects.filter(line_id=line.pk, status__in=LIVE).exists():
            open_discrepancies(line.statement, [line])
    return locked


def statement_propose(*, actor, statement: BankStatement) -> Proposed:
    """Staff ask for matches again (after posting an entry the bank had, say)."""
    require(actor, Capability.RECONCILE)
    return propose_matches(statement)
