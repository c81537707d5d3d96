"""The sub-ledgers against the journal: every record that says money moved agrees with the
journal entries that moved it, and nothing points at a journal row that is not there.

The chain walk of ``verify_ledger`` proves the journal consistent with itself. Someone who
rewrote a past leg behind the triggers and recomputed every hash, balance and monthly total
after it passes that walk; but the disbursement, gift or charge the entry records still says
what really happened. These checks compare the two and name the record that disagrees:

* a disbursement's paid, returned, court fees, forfeited and outstanding amounts against
  the legs of every entry booked for it (``source_ref`` ``disbursement:<id>``), its running
  totals against its returns and forfeitures, and each of those against its own entry;
* entries booked for a disbursement that does not exist;
* audit events and checkpoints that name a sequence the journal does not hold (past the
  head after a truncation, or deleted).

Apps that post to the books check their own records the same way: an app lists its checks
in its AppConfig's ``subledger_checks`` (dotted paths of functions taking a
:class:`Findings`), since the books never import those apps.

Each comparison is one SQL statement that joins the records with the sums of their legs,
grouped in the database: records are read once, with a handful of sums each, and one
statement sees one snapshot, so postings made while the check runs never show as a
mismatch. Entries naming records are read before the records, as a record is always
written with or before the entries that name it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.db.models import Q
from django.utils.module_loading import import_string

from ledger.books.chart import (
    BAIL_FORFEITED,
    BAIL_OUTSTANDING,
    BANK,
    CASH,
    COURT_FEES,
    DIRECT_SUPPORT,
)
from ledger.casework.disbursements import PAID_STATES
from ledger.models import (
    AuditEvent,
    Checkpoint,
    DisbursementPurpose,
    JournalTransaction,
    OutcomeKind,
    PaymentMethod,
    TransactionKind,
)

K = TransactionKind
FETCH = 2000


@dataclass
class Findings:
    """Where the checks report: ``fail(problem, sequence)`` for each disagreement, and
    ``records`` counts the records checked."""

    fail: Callable[[str, int | None], None]
    records: int = 0

    def mismatch(self, name: str, clauses: list[tuple[str, int | None]]) -> None:
        """One problem naming the record and each of its disagreements, at the lowest
        sequence they name."""
        if clauses:
            sequences = [sequence for _, sequence in clauses if sequence is not None]
            text = "; ".join(clause for clause, _ in clauses)
            self.fail(f"{name}: {text}", min(sequences) if sequences else None)


def check_subledgers(fail: Callable[[str, int | None], None]) -> int:
    """Run every sub-ledger check, reporting through ``fail``; returns how many records
    were checked."""
    findings = Findings(fail)
    for check in subledger_checks():
        check(findings)
    return findings.records


def subledger_checks() -> list[Callable[[Findings], None]]:
    checks = [check_disbursements, check_outcomes]
    for config in apps.get_app_configs():
        checks += [import_string(path) for path in getattr(config, "subledger_checks", ())]
    return [*checks, check_journal_pointers]


# Reading --------------------------------------------------------------------------------


def fetch(sql: str, params: Iterable = ()) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while batch := cursor.fetchmany(FETCH):
            yield from batch


def by_record(rows: Iterable[tuple], width: int) -> Iterator[tuple[tuple, list[tuple]]]:
    """Rows ordered by their first column, as (the record's ``width`` columns, the rest of
    each of its rows)."""
    record: tuple | None = None
    rest: list[tuple] = []
    for row in rows:
        if record is not None and row[0] != record[0]:
            yield record, rest
            rest = []
        record = row[:width]
        rest.append(row[width:])
    if record is not None:
        yield record, rest


def named_in_journal(prefix: str) -> dict[str, int]:
    """{source_ref: its lowest sequence} of the entries booked under ``prefix``."""
    rows = fetch(
        "SELECT source_ref, MIN(sequence) FROM ledger_journaltransaction "
        "WHERE source_ref LIKE %s GROUP BY source_ref",
        [f"{prefix}%"],
    )
    # LIKE is case-blind on SQLite and reads "_" as any character: keep exact prefixes.
    return {ref: sequence for ref, sequence in rows if ref.startswith(prefix)}


def fail_unknown(findings: Findings, named: Mapping[str, int], what: str) -> None:
    """Entries booked for a record (of ``what``) that does not exist."""
    for ref, sequence in sorted(named.items(), key=lambda item: item[1]):
        findings.fail(
            f"#{sequence} is booked for {ref[:80]!r}, and there is no such {what}", sequence
        )


def said(what: str, recorded: int, journal: int, sequence: int | None) -> tuple[str, int | None]:
    where = f" (#{sequence})" if sequence is not None else ""
    return f"{what} is {recorded}, its journal legs give {journal}{where}", sequence


def leg_mismatches(
    expected: Mapping[str, int],
    actual: Mapping[str, int],
    labels: Mapping[str, tuple[str, int]],
    sequence: int | None,
) -> list[tuple[str, int | None]]:
    """The legs of one entry that differ from what its record gives. ``labels`` names the
    legs a record states (account code: what, sign as the record says it); the others are
    named by account, and only when every labelled leg agrees (they are otherwise the
    other side of the one that differs)."""

    def differs(code: str) -> bool:
        return expected.get(code, 0) != actual.get(code, 0)

    named = [
        said(what, sign * expected.get(code, 0), sign * actual.get(code, 0), sequence)
        for code, (what, sign) in labels.items()
        if differs(code)
    ]
    if named:
        return named
    where = f" (#{sequence})" if sequence is not None else ""
    return [
        (f"the journal has a leg of {actual.get(code, 0)} on {code}{where}", sequence)
        if not expected.get(code)
        else said(code, expected[code], actual.get(code, 0), sequence)
        for code in sorted(expected.keys() | actual.keys())
        if code not in labels and differs(code)
    ]


def journal_extent() -> tuple[int, int]:
    """(how many transactions, the highest sequence): equal when there is no gap."""
    ((count, head),) = fetch(
        "SELECT COUNT(*), COALESCE(MAX(sequence), 0) FROM ledger_journaltransaction"
    )
    return count, head


def missing_sequences(sequences: set[int]) -> tuple[set[int], int]:
    """Which of ``sequences`` no journal transaction has, and the head."""
    count, head = journal_extent()
    missing = {sequence for sequence in sequences if not 1 <= sequence <= head}
    if count != head:  # some sequence was deleted: look the others up
        rest = sorted(sequences - missing)
        found: set[int] = set()
        for start in range(0, len(rest), 500):
            found.update(
                JournalTransaction.objects.filter(
                    sequence__in=rest[start : start + 500]
                ).values_list("sequence", flat=True)
            )
        missing |= set(rest) - found
    return missing, head


def not_in_journal(sequence: int, head: int) -> str:
    return (
        f"#{sequence}, past the head #{head}"
        if sequence > head
        else f"#{sequence}, which is not in the journal"
    )


# Disbursements --------------------------------------------------------------------------

_ENTRIES_BY_SOURCE = """
SELECT t.source_ref, t.kind, a.code, SUM(p.amount) AS total, MIN(t.sequence) AS first_seq
  FROM ledger_journaltransaction t
  JOIN ledger_posting p ON p.transaction_id = t.id
  JOIN ledger_account a ON a.id = p.account_id
 WHERE t.source_ref LIKE %s
 GROUP BY t.source_ref, t.kind, a.code
"""

_DISBURSEMENTS = f"""
SELECT d.id, d.purpose, d.status, d.method, d.amount, d.returned_amount, d.court_fees,
       d.forfeited_amount, d.payment_transaction_id, pt.sequence, pt.source_ref,
       o.returned, o.fees, o.forfeited,
       j.kind, j.code, j.total, j.first_seq
  FROM ledger_disbursement d
  LEFT JOIN ledger_journaltransaction pt ON pt.id = d.payment_transaction_id
  LEFT JOIN (SELECT disbursement_id, SUM(returned_amount) AS returned,
                    SUM(court_fees) AS fees, SUM(forfeited_amount) AS forfeited
               FROM ledger_disbursementoutcome
              WHERE NOT EXISTS (SELECT 1 FROM ledger_correction c
                                 WHERE c.outcome_id = ledger_disbursementoutcome.id
                                   AND c.status = 'applied')
              GROUP BY disbursement_id) o
         ON o.disbursement_id = d.id
  LEFT JOIN ({_ENTRIES_BY_SOURCE}) j ON j.source_ref = 'disbursement:' || CAST(d.id AS TEXT)
 ORDER BY d.id
"""  # noqa: S608


def check_disbursements(findings: Findings) -> None:
    named = named_in_journal("disbursement:")
    for record, legs in by_record(fetch(_DISBURSEMENTS, ["disbursement:%"]), 14):
        findings.records += 1
        named.pop(f"disbursement:{record[0]}", None)
        findings.mismatch(f"disbursement {record[0]}", _disbursement_clauses(record, legs))
    fail_unknown(findings, named, "disbursement")


def _disbursement_clauses(record: tuple, legs: list[tuple]) -> list[tuple[str, int | None]]:
    pk, purpose, status, method, amount, returned, fees, forfeited = record[:8]
    payment_id, payment_sequence, payment_ref = record[8:11]
    clauses: list[tuple[str, int | None]] = []
    paid = amount if status in PAID_STATES else 0
    if paid and payment_id is None:
        clauses.append(("it is paid but names no payment transaction", None))
    elif payment_id is not None and payment_sequence is None:
        clauses.append((f"its payment transaction (id {payment_id}) is not in the journal", None))
    elif payment_sequence is not None and payment_ref != f"disbursement:{pk}":
        clauses.append(
            (
                f"its payment #{payment_sequence} is booked for {payment_ref[:80]!r}",
                payment_sequence,
            )
        )
    for what, recorded, in_rows in zip(
        ("returned", "court fees", "forfeited"),
        (returned, fees, forfeited),
        record[11:14],
        strict=True,
    ):
        if recorded != (in_rows or 0):
            clauses.append(
                (
                    f"{what} is {recorded}, its returns and forfeitures add up to {in_rows or 0}",
                    None,
                )
            )

    journal: dict[tuple[str, str], int] = defaultdict(int)
    first: dict[tuple[str, str], int] = {}
    for kind, code, total, sequence in legs:
        if kind is not None:
            journal[kind, code] += total
            first[kind, code] = min(sequence, first.get((kind, code), sequence))

    def figure(what, recorded, keys, sign=1, at=None) -> tuple[str, int | None] | None:
        """``at``: where to name it when no entry gave any of it (the payment)."""
        given = sign * sum(journal.get(key, 0) for key in keys)
        sequences = [first[key] for key in keys if key in first]
        return (
            None if given == recorded else said(what, recorded, given, min(sequences, default=at))
        )

    bail = purpose == DisbursementPurpose.BAIL
    target = BAIL_OUTSTANDING if bail else DIRECT_SUPPORT
    source = CASH if method == PaymentMethod.CASH else BANK
    stated = [
        figure("paid", paid, [(K.DISBURSEMENT, target)], at=payment_sequence),
        figure("returned", returned, [(K.BAIL_RETURN, BANK)]),
        figure("court fees", fees, [(K.BAIL_RETURN, COURT_FEES)]),
        figure("forfeited", forfeited, [(K.FORFEITURE, BAIL_FORFEITED)]),
    ]
    held = [(kind, BAIL_OUTSTANDING) for kind in (K.DISBURSEMENT, K.BAIL_RETURN, K.FORFEITURE)]
    outstanding = amount - returned - fees - forfeited if bail and paid else 0
    derived = [
        figure(f"paid out of {source}", paid, [(K.DISBURSEMENT, source)], -1, payment_sequence),
        figure("outstanding", outstanding, held) if bail else None,
    ]
    explained = {
        (K.DISBURSEMENT, target),
        (K.DISBURSEMENT, source),
        (K.BAIL_RETURN, BANK),
        (K.BAIL_RETURN, COURT_FEES),
        (K.FORFEITURE, BAIL_FORFEITED),
        *(held if bail else []),
    }
    differing = [clause for clause in stated if clause]
    clauses += differing or [clause for clause in derived if clause]
    for (kind, code), total in sorted(journal.items()):
        if (kind, code) not in explained and total:
            sequence = first[kind, code]
            clauses.append(
                (f"the journal has a {kind} leg of {total} on {code} (#{sequence})", sequence)
            )
    return clauses


_OUTCOMES = """
SELECT o.id, o.disbursement_id, o.kind, o.returned_amount, o.court_fees, o.forfeited_amount,
       o.transaction_id, t.sequence, t.kind, t.source_ref, a.code, SUM(p.amount)
  FROM ledger_disbursementoutcome o
  LEFT JOIN ledger_journaltransaction t ON t.id = o.transaction_id
  LEFT JOIN ledger_posting p ON p.transaction_id = t.id
  LEFT JOIN ledger_account a ON a.id = p.account_id
 GROUP BY o.id, o.disbursement_id, o.kind, o.returned_amount, o.court_fees,
          o.forfeited_amount, o.transaction_id, t.sequence, t.kind, t.source_ref, a.code
 ORDER BY o.id
"""

_OUTCOME_LABELS = {
    BANK: ("returned", 1),
    COURT_FEES: ("court fees", 1),
    BAIL_FORFEITED: ("forfeited", 1),
}


def check_outcomes(findings: Findings) -> None:
    """Each return or forfeiture against its own entry."""
    for record, legs in by_record(fetch(_OUTCOMES), 10):
        findings.records += 1
        pk, disbursement_id, kind, returned, fees, forfeited = record[:6]
        transaction_id, sequence, txn_kind, source_ref = record[6:]
        what = "return" if kind == OutcomeKind.RETURN else "forfeiture"
        name = f"{what} {pk} of disbursement {disbursement_id}"
        if sequence is None:
            findings.fail(
                f"{name}: its journal transaction (id {transaction_id}) is not in the journal", None
            )
            continue
        clauses: list[tuple[str, int | None]] = []
        want_kind = K.BAIL_RETURN if kind == OutcomeKind.RETURN else K.FORFEITURE
        if txn_kind != want_kind:
            clauses.append((f"#{sequence} is booked as {txn_kind}, not {want_kind}", sequence))
        if source_ref != f"disbursement:{disbursement_id}":
            clauses.append((f"#{sequence} is booked for {source_ref[:80]!r}", sequence))
        expected = {
            BANK: returned,
            COURT_FEES: fees,
            BAIL_FORFEITED: forfeited,
            BAIL_OUTSTANDING: -(returned + fees + forfeited),
        }
        actual = {code: total for code, total in legs if code is not None}
        clauses += leg_mismatches(expected, actual, _OUTCOME_LABELS, sequence)
        findings.mismatch(name, clauses)


# Rows that name a sequence --------------------------------------------------------------


def check_journal_pointers(findings: Findings) -> None:
    """Audit events and checkpoints name journal sequences; each must be in the journal."""
    _check_audit_events(findings)
    checkpoints = list(
        Checkpoint.objects.order_by("sequence", "pk").values_list("sequence", "created_at")
    )
    missing, head = missing_sequences({sequence for sequence, _ in checkpoints if sequence != 0})
    for sequence, created_at in checkpoints:
        if sequence in missing:
            findings.fail(
                f"checkpoint of {created_at:%Y-%m-%d %H:%M} names {not_in_journal(sequence, head)}",
                None,
            )


def _as_sequence(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _check_audit_events(findings: Findings) -> None:
    """Services record the sequence they posted (``sequence``, ``reversal_sequence``) and
    reversals name the reversed one as their object. Streamed: an event is kept only when
    its sequence is past the head read first (posted since, or gone), or when the journal
    has a gap and every sequence must be looked up."""
    count, head = journal_extent()
    naming = (
        AuditEvent.objects.filter(
            Q(details__has_key="sequence")
            | Q(details__has_key="reversal_sequence")
            | Q(object_type="journal_transaction")
        )
        .order_by("pk")
        .values_list(
            "pk",
            "action",
            "object_type",
            "object_id",
            "details__sequence",
            "details__reversal_sequence",
        )
    )
    suspects: list[tuple[str, int]] = []
    for pk, action, object_type, object_id, *values in naming.iterator(chunk_size=FETCH):
        findings.records += 1
        if object_type == "journal_transaction":
            values.append(object_id)
        where = f"audit event {pk} ({action} of {object_type} {object_id[:40]})"
        for value in values:
            if value is None:
                continue
            sequence = _as_sequence(value)
            if sequence is None:
                findings.fail(f"{where} names the sequence {str(value)[:20]!r}, not a number", None)
            elif count != head or not 1 <= sequence <= head:
                suspects.append((where, sequence))
    missing, head = missing_sequences({sequence for _, sequence in suspects})
    for where, sequence in suspects:
        if sequence in missing:
            findings.fail(f"{where} names {not_in_journal(sequence, head)}", None)
