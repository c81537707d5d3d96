"""Donors' year-end statements on PostgreSQL: a run for many donors against a baseline of
as many plain receipts, same run.

    python benchmarks/donor_statements.py [--donors 100000]

Each donor gets a one-time card gift with one to three charges in the year (every tenth
charge partly refunded, every twentieth donor in Spanish); one in fifty donors' data is
erased. Not timed: loading them. Timed: the dry run's counts (``preview``), then the run
(``run_send``: chunks of 500 donors, a row per donor sent, one email each), with Django's
locmem mail backend, progress printed every 10,000 donors. The baseline renders and sends
the same number of receipts (``donations/receipt.txt``) with the same backend, without the
database. Peak memory is the process's maximum resident size (getrusage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
import uuid

from _setup import fresh_database, machine

YEAR = 2025


def load(donors: int) -> None:
    from django.db import connection

    start = dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC)
    donations, charges = [], []
    for i in range(donors):
        erased = i % 50 == 49
        public_id = uuid.uuid4()
        donations.append(
            (
                public_id,
                "" if erased else f"donor{i:07d}@example.org",
                "" if erased else f"Donor {i}",
                "es" if i % 20 == 0 else "en",
                start if erased else None,
            )
        )
        for n in range(1 + i % 3):
            amount = 2_500 + (i * 7919 + n) % 50_000
            refunded = amount // 2 if (i + n) % 10 == 0 else 0
            at = start + dt.timedelta(minutes=(i * 3 + n) % 525_000)
            charges.append((public_id, f"ch_bench_{i}_{n}", amount, refunded, at))
    with connection.cursor() as cursor:
        for k in range(0, len(donations), 5_000):
            rows = donations[k : k + 5_000]
            cursor.execute(
                "INSERT INTO donations_donation (public_id, created_at, updated_at, frequency,"
                " status, currency, gift_amount, cover_fees, amount, anonymous, show_on_wall,"
                " display_name, message, show_amount, email, language, donor_name,"
                " donor_data_erased_at, checkout_idempotency_key, checkout_session_id,"
                " checkout_url, subscription_id, customer_id, renewal_notice_invoice_id)"
                " VALUES "
                + ",".join(
                    [
                        "(%s, now(), now(), 'once', 'succeeded', 'usd', 2500, false, 2500,"
                        " false, false, '', '', false, %s, %s, %s, %s, %s, '', '', '', '', '')"
                    ]
                    * len(rows)
                ),
                [v for (p, e, name, lang, er) in rows for v in (p, e, lang, name, er, f"b:{p}")],
            )
        for k in range(0, len(charges), 5_000):
            rows = charges[k : k + 5_000]
            cursor.execute(
                "INSERT INTO donations_stripecharge (charge_id, donation_id, payment_intent_id,"
                " invoice_id, balance_transaction_id, amount, currency, charged_at,"
                " amount_refunded, disputed, refund_notified)"
                " SELECT v.charge_id, d.id, '', '', '', v.amount, 'usd', v.at, v.refunded,"
                " false, 0 FROM (VALUES "
                + ",".join(["(%s::uuid, %s, %s::bigint, %s::bigint, %s::timestamptz)"] * len(rows))
                + ") AS v(public_id, charge_id, amount, refunded, at)"
                " JOIN donations_donation d ON d.public_id = v.public_id",
                [v for row in rows for v in row],
            )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(donors: int) -> float:
    from django.core import mail
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    started = time.perf_counter()
    for i in range(donors):
        body = render_to_string(
            "donations/receipt.txt",
            {
                "fund_name": "Bench Fund",
                "fund_legal_name": "Bench Fund, Inc.",
                "tax_statement": "EIN 00-0000000.",
                "amount": "$25.00",
                "date": dt.date(YEAR, 5, 1),
                "reference": f"ch_bench_{i}_0",
                "proof_url": "https://example.org/donate/proof/x/",
            },
        )
        send_mail("Your gift: receipt", body, "r@example.org", [f"donor{i}@example.org"])
        if i % 10_000 == 9_999:
            mail.outbox.clear()
    mail.outbox.clear()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--donors", type=int, default=100_000)
    args = parser.parse_args()
    fresh_database("bf_bench_statements")
    from django.conf import settings
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    from donations.statements.sending import preview, run_send

    print(f"{machine()}; {args.donors} donors")
    started = time.perf_counter()
    load(args.donors)
    print(f"loaded in {time.perf_counter() - started:.1f} s (not timed)")

    started = time.perf_counter()
    counts = preview(YEAR)
    dry = time.perf_counter() - started
    print(
        f"dry run: {counts['donors']} donors, {counts['gifts']} gifts, "
        f"{counts['skipped_erased']} skipped (erased) in {dry:.1f} s"
    )

    step = {"next": 10_000}

    def progress(run):
        mail.outbox.clear()  # the locmem backend keeps every message: not the run's memory
        if run.sent >= step["next"] or run.finished_at:
            print(f"  {run.sent}/{run.total} sent, {time.perf_counter() - started:.1f} s")
            step["next"] += 10_000

    started = time.perf_counter()
    run = run_send(YEAR, progress=progress)
    sending = time.perf_counter() - started
    assert run.sent == counts["donors"], (run.sent, counts)
    peak_after_run = peak_mb()

    base = baseline(run.sent)
    print(f"run: {run.sent} statements in {sending:.1f} s ({run.sent / sending:.0f}/s)")
    print(f"baseline: {run.sent} plain receipts rendered and sent in {base:.1f} s")
    print(f"run / baseline: {sending / base:.1f}x; dry run + run: {dry + sending:.1f} s")
    print(f"peak memory (maxrss) after the run: {peak_after_run:.0f} MB")


if __name__ == "__main__":
    main()
