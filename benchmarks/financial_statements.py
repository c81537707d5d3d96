"""Every financial statement over a year of a million transactions, on PostgreSQL.

    python benchmarks/financial_statements.py [--transactions 1000000] [--rounds 3]

Loads one year (2025) of a fund's life through the batch posting service (10,000
transactions per batch), after an opening balance on 2024-12-31: card donations, Stripe
payouts leaving and arriving, offline gifts, refunds, Stripe's own fees, disputes, bail
paid, returned (with court fees) and forfeited, and non-returnable support. The
disbursements and their outcomes are written beside their entries, with the same keys and
amounts the casework services give them, for 600 cases in 12 counties and 36 courts, so
the statements by county and by court have something to count (``verify_ledger`` passes
on the database loaded). Then ``ANALYZE``, as autovacuum would have done on a live
database.

Timed, each the median of ``--rounds`` runs in this process: all six statements of
``ledger.reports.catalogue`` computed and written as CSV, for the whole year (whole months:
read from the monthly totals), for 2025-01-16 to 2025-12-15 (parts of a month at both
ends: those days summed from the postings) and for 2025-06-10 to 2025-06-20 (inside one
month). Baseline from the same run: one raw SQL sum of the year's postings per account,
the journal joined to its postings (what a statement would cost without monthly totals).
The year's statements are checked against raw SQL sums of the postings before any figure
is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections import deque

from _setup import fresh_database, machine

YEAR_START = dt.date(2025, 1, 1)
COUNTIES = (
    "Anoka",
    "Carver",
    "Dakota",
    "Hennepin",
    "Isanti",
    "Ramsey",
    "Scott",
    "Sherburne",
    "Stearns",
    "Washington",
    "Wright",
    "Olmsted",
)
CASES = 600


def day_of(n: int, total: int) -> dt.date:
    return YEAR_START + dt.timedelta(days=n * 365 // total)


def slot(n: int) -> str:
    """What transaction number ``n`` is, by its place in each hundred."""
    place = n % 100
    if place < 80 or place == 99:
        return "donation"
    if place < 88:
        return "payout_out" if place % 2 == 0 else "payout_in"
    if place < 91:
        return "gift"
    if place == 91:
        return "refund"
    if place in (92, 93):
        return "bail_paid"
    if place == 94:
        return "bail_return"
    if place == 95:
        return "forfeiture" if n % 200 == 95 else "bail_return"
    if place == 96:
        return "support_paid"
    return "stripe_fee" if place == 97 else "dispute"


def plan(total: int):
    """The disbursements and outcomes of the year: who is paid when, and what comes back."""
    disbursements, outcomes = [], []  # outcomes: (n, disbursement index, kind)
    waiting = deque()  # paid bail not resolved yet, oldest first
    for n in range(total):
        kind = slot(n)
        if kind in ("bail_paid", "support_paid"):
            k = len(disbursements)
            bail = kind == "bail_paid"
            amount = 50_000 + (k * 7_919) % 4_500 * 100 if bail else 5_000 + k % 20 * 1_000
            disbursements.append({"n": n, "bail": bail, "amount": amount, "case": k % CASES})
            if bail:
                waiting.append(k)
        elif kind in ("bail_return", "forfeiture") and waiting:
            outcomes.append((n, waiting.popleft(), kind))
    return disbursements, outcomes


def load(total: int, batch: int = 10_000) -> float:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from ledger.books.posting import Entry, transactions_post_batch
    from ledger.models import BailCase, Disbursement, DisbursementOutcome

    start = time.perf_counter()
    user = get_user_model().objects.create_user("bench-statements")
    now = timezone.now()
    cases = BailCase.objects.bulk_create(
        BailCase(
            county=COUNTIES[i % len(COUNTIES)],
            court=f"{COUNTIES[i % len(COUNTIES)]} District Court {i % 3 + 1}",
            bail_type="criminal_bail",
            opened_on=YEAR_START,
        )
        for i in range(CASES)
    )
    planned, outcomes = plan(total)
    resolved: dict[int, dict] = {}
    for n, k, kind in outcomes:
        amount = planned[k]["amount"]
        fees = min(2_500, amount // 10) if kind == "bail_return" else 0
        resolved[n] = {"k": k, "kind": kind, "fees": fees, "amount": amount}
    finished = {o["k"]: o for o in resolved.values()}
    rows = []
    for k, d in enumerate(planned):
        outcome = finished.get(k)
        forfeited = bool(outcome) and outcome["kind"] == "forfeiture"
        status = "paid" if not outcome else "forfeited" if forfeited else "returned"
        rows.append(
            Disbursement(
                request_token=f"bench-{k}",
                case=cases[d["case"]],
                purpose="bail" if d["bail"] else "support",
                status=status,
                amount=d["amount"],
                currency="usd",
                payee_kind="court",
                method="check",
                refund_payee="fund" if d["bail"] else "none",
                requested_by=user,
                requested_at=now,
                approved_by=user,
                approved_at=now,
                paid_by=user,
                paid_at=now,
                paid_on=day_of(d["n"], total),
                returned_amount=outcome["amount"] - outcome["fees"]
                if outcome and not forfeited
                else 0,
                court_fees=outcome["fees"] if outcome else 0,
                forfeited_amount=outcome["amount"] if forfeited else 0,
            )
        )
    ids = [d.pk for d in Disbursement.objects.bulk_create(rows, batch_size=5_000)]
    by_n = {d["n"]: (k, d) for k, d in enumerate(planned)}

    transactions_post_batch(
        entries=[
            Entry(
                kind="opening",
                date=YEAR_START - dt.timedelta(days=1),
                legs=(("assets:bank", 50_000_000), ("net_assets:opening_balance", -50_000_000)),
                idempotency_key="bench:opening",
            )
        ]
    )
    outcome_txns: dict[int, int] = {}  # transaction number: its journal transaction's id
    for first in range(0, total, batch):
        entries, outcome_at, payment_at = [], {}, {}
        for n in range(first, min(first + batch, total)):
            entry = _entry(n, total, by_n, ids, resolved)
            if entry is None:  # an outcome with no bail waiting: a donation instead
                entry = _entry(n, total, {}, ids, {}, kind="donation")
            if n in resolved:
                outcome_at[len(entries)] = n
            elif n in by_n:
                payment_at[len(entries)] = by_n[n][0]
            entries.append(entry)
        posted = transactions_post_batch(entries=entries)
        for index, n in outcome_at.items():
            outcome_txns[n] = posted[index].pk
        for index, k in payment_at.items():
            rows[k].payment_transaction_id = posted[index].pk
    Disbursement.objects.bulk_update(rows, ["payment_transaction"], batch_size=5_000)
    DisbursementOutcome.objects.bulk_create(
        (
            DisbursementOutcome(
                disbursement_id=ids[o["k"]],
                kind="forfeiture" if o["kind"] == "forfeiture" else "return",
                token=f"bench{n}",
                occurred_on=day_of(n, total),
                returned_amount=o["amount"] - o["fees"] if o["kind"] != "forfeiture" else 0,
                court_fees=o["fees"],
                forfeited_amount=o["amount"] if o["kind"] == "forfeiture" else 0,
                recorded_by=user,
                recorded_at=now,
                transaction_id=outcome_txns[n],
            )
            for n, o in resolved.items()
        ),
        batch_size=5_000,
    )
    return time.perf_counter() - start


def _entry(n: int, total: int, by_n, ids, resolved, kind: str = ""):
    from ledger.books.posting import Entry

    kind = kind or slot(n)
    date = day_of(n, total)
    key = f"bench:{n}"
    if kind == "donation":
        gross = 1_000 + n % 9_000
        fee = (gross * 29 + 500) // 1000 + 30
        legs = (
            ("assets:stripe", gross - fee),
            ("expenses:processing_fees", fee),
            ("income:donations", -gross),
        )
        return Entry(kind="donation", date=date, legs=legs, idempotency_key=f"stripe:{key}")
    if kind == "payout_out":
        legs = (("assets:payouts_in_transit", 200_000), ("assets:stripe", -200_000))
        return Entry(kind="payout", date=date, legs=legs, idempotency_key=f"stripe:{key}")
    if kind == "payout_in":
        legs = (("assets:bank", 200_000), ("assets:payouts_in_transit", -200_000))
        return Entry(kind="payout", date=date, legs=legs, idempotency_key=f"stripe:{key}")
    if kind == "gift":
        amount = 5_000 + n % 7 * 2_500
        legs = (("assets:bank", amount), ("income:donations", -amount))
        return Entry(kind="offline_gift", date=date, legs=legs, idempotency_key=f"offline:{key}")
    if kind == "refund":
        legs = (("income:donations_refunded", 2_000), ("assets:stripe", -2_000))
        return Entry(kind="refund", date=date, legs=legs, idempotency_key=f"stripe:{key}")
    if kind == "stripe_fee":
        legs = (("expenses:processing_fees", 500), ("assets:stripe", -500))
        return Entry(kind="fee", date=date, legs=legs, idempotency_key=f"stripe:{key}")
    if kind == "dispute":
        legs = (("expenses:dispute_losses", 3_500), ("assets:stripe", -3_500))
        return Entry(kind="dispute", date=date, legs=legs, idempotency_key=f"stripe:{key}")
    if kind in ("bail_paid", "support_paid"):
        k, d = by_n[n]
        pk = ids[k]
        target = "assets:bail_outstanding" if d["bail"] else "expenses:direct_support"
        legs = ((target, d["amount"]), ("assets:bank", -d["amount"]))
        return Entry(
            kind="disbursement",
            date=date,
            legs=legs,
            idempotency_key=f"disbursement:{pk}:paid",
            source_ref=f"disbursement:{pk}",
        )
    o = resolved.get(n)
    if o is None:
        return None
    pk = ids[o["k"]]
    if o["kind"] == "forfeiture":
        legs = (("expenses:bail_forfeited", o["amount"]), ("assets:bail_outstanding", -o["amount"]))
        return Entry(
            kind="forfeiture",
            date=date,
            legs=legs,
            idempotency_key=f"disbursement:{pk}:forfeiture:bench{n}",
            source_ref=f"disbursement:{pk}",
        )
    legs = (
        ("assets:bank", o["amount"] - o["fees"]),
        ("expenses:court_fees", o["fees"]),
        ("assets:bail_outstanding", -o["amount"]),
    )
    return Entry(
        kind="bail_return",
        date=date,
        legs=legs,
        idempotency_key=f"disbursement:{pk}:return:bench{n}",
        source_ref=f"disbursement:{pk}",
    )


RAW_SUM = """
SELECT p.account_id,
       SUM(CASE WHEN p.amount > 0 THEN p.amount ELSE 0 END),
       SUM(CASE WHEN p.amount < 0 THEN -p.amount ELSE 0 END)
  FROM ledger_posting p JOIN ledger_journaltransaction t ON t.id = p.transaction_id
 WHERE t.date BETWEEN %s AND %s
 GROUP BY p.account_id
"""
RAW_BALANCES = """
SELECT p.account_id, SUM(p.amount)
  FROM ledger_posting p JOIN ledger_journaltransaction t ON t.id = p.transaction_id
 WHERE t.date <= %s
 GROUP BY p.account_id
"""


def raw_sum(start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RAW_SUM, [start, end])
        return {account: (debits, credits) for account, debits, credits in cursor.fetchall()}


def statements(period):
    from ledger.reports.catalogue import all_statements
    from ledger.reports.files import render

    reports = all_statements(period)
    size = sum(len(render(report, "csv")) for report in reports)
    return reports, size


def median_seconds(rounds: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def check_ties(reports, period) -> None:
    """The year's trial balance against raw SQL over the postings; every identity holds."""
    from django.db import connection

    from ledger.models import Account

    with connection.cursor() as cursor:
        cursor.execute(RAW_BALANCES, [period.end])
        closing = dict(cursor.fetchall())
    codes = dict(Account.objects.values_list("code", "id"))
    moves = raw_sum(period.start, period.end)
    trial = reports[0]
    for row in trial.body:
        account = codes[row.cells[0]]
        debits, credits = moves.get(account, (0, 0))
        assert (row.cells[4], row.cells[5]) == (debits, credits), row.cells[0]
        assert row.cells[6] == closing.get(account, 0), row.cells[0]
    failed = [(r.title, c.label) for r in reports for c in r.checks if not c.ok]
    assert not failed, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="bench_statements")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    options = parser.parse_args()

    if options.reuse:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{options.database}"
        os.environ.setdefault("DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        load_seconds = float("nan")
    else:
        fresh_database(options.database)
        load_seconds = load(options.transactions)
    from django.db import connection

    from ledger.models import Posting
    from ledger.reports.dates import Period

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    load_average = os.getloadavg()[0]

    year = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    periods = {
        "whole year, 2025-01-01 to 2025-12-31 (monthly totals)": year,
        "2025-01-16 to 2025-12-15 (two parts of months from postings)": Period(
            dt.date(2025, 1, 16), dt.date(2025, 12, 15)
        ),
        "2025-06-10 to 2025-06-20 (inside one month)": Period(
            dt.date(2025, 6, 10), dt.date(2025, 6, 20)
        ),
    }
    results = {}
    for label, period in periods.items():
        seconds, (reports, size) = median_seconds(options.rounds, lambda p=period: statements(p))
        if period == year:
            check_ties(reports, period)
        results[label] = (seconds, size)
    baseline, _ = median_seconds(options.rounds, lambda: raw_sum(year.start, year.end))

    n = options.transactions
    postings = Posting.objects.count()
    print(
        f"# financial statements, {dt.date.today()}, {machine()}, PostgreSQL, "
        f"{n:,} transactions ({postings:,} postings) in 2025; load average {load_average:.2f}"
    )
    if load_seconds == load_seconds:
        print(f"load (batch posting, sub-ledgers): {load_seconds:.1f} s")
    print("year's statements tie to raw SQL sums of the postings: yes; every check holds")
    for label, (seconds, size) in results.items():
        print(f"all six statements + CSV, {label}: {seconds:.3f} s ({size:,} bytes of CSV)")
    print(f"baseline, raw SQL sum of the year's postings per account: {baseline:.3f} s")
    for label, (seconds, _) in results.items():
        print(f"  {label}: {seconds / baseline:.2f} of the baseline")


if __name__ == "__main__":
    main()
