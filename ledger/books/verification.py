"""Recompute the books from their postings and compare with everything stored.

``verify_ledger`` walks the journal once, in sequence order, and checks: the sequence is
gapless from 1; every transaction links to the previous hash and its own hash recomputes
from its content; its legs are non-zero, at least two, and sum to zero; every stored
account balance and monthly total equals the sum of its postings; the chain head matches
the last transaction; every stored checkpoint matches the recomputed chain; every signed
tree head has its Merkle root, frontier, a valid signature by a trusted key and a consistency
proof from the head before it (ledger.books.tree_heads); and the sub-ledgers agree with the
journal (ledger.books.subledgers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.books import merkle
from ledger.books.audit_chain import audit_walk
from ledger.books.hashing import GENESIS_HASH, chain_hash
from ledger.books.journal import account_codes, iter_journal
from ledger.books.subledgers import check_subledgers
from ledger.books.totals import Totals
from ledger.books.tree_heads import heads_problems, signed_heads
from ledger.models import Account, ChainHead, Checkpoint, MonthlyTotal

MAX_PROBLEMS = 50


@dataclass
class VerificationReport:
    transactions: int = 0
    postings: int = 0
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    accounts_checked: int = 0
    monthly_totals_checked: int = 0
    checkpoints_checked: int = 0
    subledger_records_checked: int = 0
    first_bad_sequence: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, problem: str, sequence: int | None = None) -> None:
        if sequence is not None and (
            self.first_bad_sequence is None or sequence < self.first_bad_sequence
        ):
            self.first_bad_sequence = sequence
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def summary(self) -> str:
        if self.ok:
            return (
                f"ledger OK: {self.transactions} transactions, {self.postings} postings, "
                f"head #{self.head_sequence} {self.head_hash}; {self.accounts_checked} balances, "
                f"{self.monthly_totals_checked} monthly totals and "
                f"{self.checkpoints_checked} checkpoints agree; "
                f"{self.subledger_records_checked} sub-ledger records agree with the journal"
            )
        where = (
            f"at sequence {self.first_bad_sequence}"
            if self.first_bad_sequence is not None
            else "in the stored totals"
        )
        return f"ledger FAILED {where}: {self.problems[0]} ({len(self.problems)} problem(s))"


def verify_ledger() -> VerificationReport:
    report = VerificationReport()
    codes = account_codes()
    checkpoints = list(Checkpoint.objects.values_list("sequence", "hash", "created_at"))
    wanted = {sequence for sequence, _, _ in checkpoints}
    computed_at: dict[int, str] = {0: GENESIS_HASH}
    # The Merkle root and frontier at each signed head's size (ledger.books.tree_heads).
    head_sizes = set(signed_heads().values_list("sequence", flat=True))
    tree = merkle.Frontier()
    computed_heads = {0: (tree.root(), [])}

    totals = Totals()
    expected_sequence = 1
    prev_hash = GENESIS_HASH
    months: dict[str, object] = {}

    for row in iter_journal():
        seq = row.sequence
        if seq != expected_sequence:
            report.fail(f"sequence {expected_sequence} is missing (found {seq})", expected_sequence)
            expected_sequence = seq
        if row.prev_hash != prev_hash:
            report.fail(f"#{seq} does not link to the previous hash", seq)
        digest = chain_hash(row.prev_hash, row.content(codes))
        if digest != row.hash:
            report.fail(f"#{seq} hash does not match its content", seq)
        if len(row.postings) < 2:
            report.fail(f"#{seq} has {len(row.postings)} leg(s)", seq)
        if sum(amount for _, amount in row.postings) != 0:
            report.fail(f"#{seq} legs do not sum to zero", seq)
        month = months.get(row.date) or months.setdefault(row.date, row.month)
        for account_id, amount in row.postings:
            if amount == 0:
                report.fail(f"#{seq} has a zero leg", seq)
            totals.add(account_id, month, amount)
        if seq in wanted:
            computed_at[seq] = digest
        tree.append(bytes.fromhex(digest))
        if seq in head_sizes:
            computed_heads[seq] = (tree.root(), tree.nodes())
        # Chain on the recomputed hash: one rewritten row must not make later rows look valid.
        prev_hash = digest
        report.transactions += 1
        report.postings += len(row.postings)
        report.head_sequence, report.head_hash = seq, digest
        expected_sequence = seq + 1

    for account_id, code, balance in Account.objects.values_list("pk", "code", "balance"):
        report.accounts_checked += 1
        recomputed = totals.balances.get(account_id, 0)
        if balance != recomputed:
            report.fail(f"balance of {code} is {balance}, postings sum to {recomputed}")

    stored_months = {
        (account_id, month): (debits, credits, count)
        for account_id, month, debits, credits, count in MonthlyTotal.objects.values_list(
            "account_id", "month", "debits", "credits", "postings_count"
        )
    }
    for key in stored_months.keys() | totals.monthly.keys():
        report.monthly_totals_checked += 1
        stored = stored_months.get(key, (0, 0, 0))
        recomputed = tuple(totals.monthly.get(key, (0, 0, 0)))
        if stored != recomputed:
            account_id, month = key
            report.fail(
                f"monthly total of {codes.get(account_id, account_id)} for {month:%Y-%m} is "
                f"{stored}, postings give {recomputed}"
            )

    head = ChainHead.objects.filter(id=1).values_list("sequence", "hash").first() or (
        0,
        GENESIS_HASH,
    )
    if tuple(head) != (report.head_sequence, report.head_hash):
        report.fail(
            f"the stored head #{head[0]} does not match the recomputed head #{report.head_sequence}"
        )

    for sequence, digest, created_at in checkpoints:
        report.checkpoints_checked += 1
        if computed_at.get(sequence) != digest:
            report.fail(
                f"checkpoint of {created_at:%Y-%m-%d %H:%M} (#{sequence}) no longer verifies",
                sequence if sequence in computed_at else None,
            )
    audit_found, audit_hashes = audit_walk(
        set(signed_heads().values_list("audit_sequence", flat=True))
    )
    for problem in audit_found:
        report.fail(problem)
    for problem, sequence in heads_problems(computed_heads, report.head_sequence, audit_hashes):
        report.fail(problem, sequence)
    # Disbursements, gifts, charges and the rows naming sequences (ledger.books.subledgers).
    report.subledger_records_checked = check_subledgers(report.fail)
    return report
