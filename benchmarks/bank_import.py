"""Importing a large bank statement on PostgreSQL: the service against a plain baseline,
same run.

    python benchmarks/bank_import.py [--lines 10000] [--unmatched]

The books first get one entry on assets:bank per statement line (checks out and deposits
in, over a year, posted in batches; not timed). Then a CSV statement of ``--lines`` lines
in a US bank's export style (newest first, a running balance, a check number column) is
imported with ``donations.bank.importing.statement_import``: read whole and checked,
fingerprinted, stored in one transaction with the lines it shares with nothing, audited,
every line matched against the year's entries, and the unmatched ones opened as
discrepancies. The same file imported again (nothing changes) and the reconciliation
report of the statement are timed too. ``--unmatched`` leaves the books empty, so every
line is a discrepancy (the slowest case).

The baseline reads the same file with the csv module and inserts the same rows in one
multi-row statement, committed: no validation, no fingerprints, no matching.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import time
from decimal import Decimal

from _setup import fresh_database, machine

START = dt.date(2025, 1, 1)
OPENING = 50_000_000


def _amount(i: int) -> int:
    """Checks out (every third line) and deposits in, a few dollars to a few thousand."""
    cents = 500 + (i * 7919) % 400_000
    return -cents if i % 3 == 0 else cents


def _day(i: int, lines: int) -> dt.date:
    return START + dt.timedelta(days=i * 364 // lines)


def post_the_books(lines: int) -> None:
    from ledger.books.posting import Entry, transactions_post_batch

    entries = [
        Entry(
            kind="opening",
            date=START - dt.timedelta(days=1),  # in the first statement's opening balance
            legs=(("assets:bank", OPENING), ("net_assets:opening_balance", -OPENING)),
            idempotency_key="bench:bank:opening",
        )
    ]
    for i in range(lines):
        amount = _amount(i)
        counter = "expenses:direct_support" if amount < 0 else "income:donations"
        entries.append(
            Entry(
                kind="adjustment",
                date=_day(i, lines),
                legs=(("assets:bank", amount), (counter, -amount)),
                idempotency_key=f"bench:bank:{i}",
            )
        )
    for first in range(0, len(entries), 1000):
        transactions_post_batch(entries=entries[first : first + 1000])


def statement_csv(lines: int) -> bytes:
    """The bank's export, newest first: the line of entry i cleared 0 to 3 days after it."""
    cleared = []
    for i in range(lines):
        amount = _amount(i)
        check = str(10_000 + i) if amount < 0 else ""
        what = f"CHECK {check}" if check else f"REMOTE ONLINE DEPOSIT #{i % 7 + 1}"
        cleared.append((_day(i, lines) + dt.timedelta(days=i % 4), i, what, amount, check))
    cleared.sort()
    balance, rows = OPENING, []
    for day, _, what, amount, check in cleared:
        balance += amount
        kind = "CHECK" if check else "DSLIP"
        rows.append([kind, f"{day:%m/%d/%Y}", what, _units(amount), _units(balance), check])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Details", "Posting Date", "Description", "Amount", "Balance", "Check #"])
    writer.writerows(reversed(rows))
    return out.getvalue().encode()


def _units(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):.2f}"


def baseline(url: str, data: bytes) -> float:
    """csv.reader and one multi-row INSERT of the same rows, committed."""
    import psycopg

    start = time.perf_counter()
    reader = csv.reader(io.StringIO(data.decode()))
    next(reader)
    rows = list(reader)
    with psycopg.connect(url) as conn:
        statement_id = conn.execute(
            "INSERT INTO donations_bankstatement (account_code, format, fingerprint, "
            "bank_statement_id, bank_account, currency, period_start, period_end, "
            "closing_balance, file_name, lines_in_file, lines_already_imported, imported_at) "
            "VALUES ('bench:baseline', 'csv', 'baseline', '', '', 'usd', %s, %s, 0, '', 0, 0, "
            "now()) RETURNING id",
            [START, START],
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO donations_bankstatementline (statement_id, account_code, position, "
            "posted_on, amount, description, bank_reference, reference, check_number, "
            "fingerprint) SELECT %s, 'bench:baseline', p, d, a, t, '', '', c, 'b' || p "
            "FROM unnest(%s::int[], %s::date[], %s::bigint[], %s::text[], %s::text[]) "
            "AS x(p, d, a, t, c)",
            [
                statement_id,
                list(range(2, len(rows) + 2)),
                [dt.datetime.strptime(row[1], "%m/%d/%Y").date() for row in rows],
                [int(Decimal(row[3]) * 100) for row in rows],
                [row[2] for row in rows],
                [row[5] for row in rows],
            ],
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument(
        "--unmatched",
        action="store_true",
        help="Post nothing to the books first: every line becomes a discrepancy.",
    )
    args = parser.parse_args()

    url = fresh_database("bench_bank_import")
    from donations.bank.importing import statement_import
    from donations.bank.report import reconcile
    from donations.models import BankCsvMapping, BankMatch, Discrepancy

    if not args.unmatched:
        post_the_books(args.lines)
    data = statement_csv(args.lines)
    mapping = BankCsvMapping.objects.create(
        name="Bench bank",
        bank_name="Bench bank",
        date_column="Posting Date",
        description_column="Description",
        check_number_column="Check #",
        amount_column="Amount",
        balance_column="Balance",
    )

    start = time.perf_counter()
    imported = statement_import(actor=None, data=data, fmt="csv", mapping=mapping)
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = statement_import(actor=None, data=data, fmt="csv", mapping=mapping)
    second = time.perf_counter() - start
    start = time.perf_counter()
    report = reconcile(imported.statement)
    reporting = time.perf_counter() - start
    assert imported.created and not again.created
    assert imported.new_lines == args.lines
    base = baseline(url, data)

    print(f"# bank statement import, {dt.date.today()}, {machine()}, PostgreSQL")
    entries = 0 if args.unmatched else args.lines
    print(
        f"# a {len(data) // 1024} KiB CSV of {args.lines} lines; {entries} entries on assets:bank"
    )
    print(f"{'baseline: csv.reader + one INSERT':40s} {base:8.2f} s")
    print(f"{'import (read, store, match)':40s} {first:8.2f} s")
    print(f"{'import again (nothing changes)':40s} {second:8.2f} s")
    print(f"{'reconciliation report':40s} {reporting:8.2f} s")
    print(f"import/baseline: {first / base:.1f}")
    print(
        f"proposed {BankMatch.objects.count()}, unmatched {imported.unmatched}, "
        f"discrepancies {Discrepancy.objects.count()}, report difference {report.difference}"
    )


if __name__ == "__main__":
    main()
