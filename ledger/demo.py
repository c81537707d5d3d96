"""A small, deterministic fund history for demos and the home page of ``make run``.

Every entry has a fixed idempotency key (``demo:…``) and fixed content, so seeding twice
posts nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import random

from ledger.services import Entry, transactions_post_batch

DEMO_MONTHS = [dt.date(2026, month, 1) for month in range(4, 11)]


def _stripe_fee(gross: int) -> int:
    return (gross * 29 + 500) // 1000 + 30


def demo_entries() -> list[Entry]:
    rng = random.Random(2020)  # fixed: the same history on every machine
    entries: list[Entry] = []
    for month_index, month in enumerate(DEMO_MONTHS):
        for n in range(40):
            gross = rng.choice([1000, 2500, 2500, 4100, 5000, 10000, 25000])
            fee = _stripe_fee(gross)
            entries.append(
                Entry(
                    kind="donation",
                    date=month + dt.timedelta(days=n % 27),
                    legs=(
                        ("assets:stripe", gross - fee),
                        ("expenses:processing_fees", fee),
                        ("income:donations", -gross),
                    ),
                    idempotency_key=f"demo:donation:{month_index}:{n}",
                    memo="Card donation",
                    source_ref=f"demo:txn_{month_index:02d}{n:03d}",
                )
            )
        payout = sum(leg[1] for e in entries[-40:] for leg in e.legs if leg[0] == "assets:stripe")
        entries.append(
            Entry(
                kind="payout",
                date=month + dt.timedelta(days=27),
                legs=(("assets:bank", payout), ("assets:stripe", -payout)),
                idempotency_key=f"demo:payout:{month_index}",
                memo="Stripe payout",
            )
        )
        entries.append(
            Entry(
                kind="offline_gift",
                date=month + dt.timedelta(days=10),
                legs=(("assets:bank", 50000), ("income:donations", -50000)),
                idempotency_key=f"demo:offline:{month_index}",
                memo="Check donation",
            )
        )
        for case in range(3):
            bail = rng.choice([50000, 75000, 100000, 150000, 250000])
            key = f"demo:bail:{month_index}:{case}"
            entries.append(
                Entry(
                    kind="disbursement",
                    date=month + dt.timedelta(days=5 + case * 7),
                    legs=(("assets:bail_outstanding", bail), ("assets:bank", -bail)),
                    idempotency_key=f"{key}:paid",
                    memo="Bail paid",
                )
            )
            if month_index < 4 and case == 0:
                fee = bail // 10
                entries.append(
                    Entry(
                        kind="bail_return",
                        date=month + dt.timedelta(days=60),
                        legs=(
                            ("assets:bank", bail - fee),
                            ("expenses:court_fees", fee),
                            ("assets:bail_outstanding", -bail),
                        ),
                        idempotency_key=f"{key}:returned",
                        memo="Bail returned, court fee withheld",
                    )
                )
            elif month_index == 1 and case == 1:
                entries.append(
                    Entry(
                        kind="forfeiture",
                        date=month + dt.timedelta(days=90),
                        legs=(
                            ("expenses:bail_forfeited", bail),
                            ("assets:bail_outstanding", -bail),
                        ),
                        idempotency_key=f"{key}:forfeited",
                        memo="Bail forfeited",
                    )
                )
        entries.append(
            Entry(
                kind="disbursement",
                date=month + dt.timedelta(days=20),
                legs=(("expenses:direct_support", 12000), ("assets:bank", -12000)),
                idempotency_key=f"demo:support:{month_index}",
                memo="Transport after release",
            )
        )
    entries.sort(key=lambda e: (e.date, e.idempotency_key))
    return entries


def seed_demo() -> int:
    """Post the demo history; returns how many transactions were new."""
    return sum(posted.created for posted in transactions_post_batch(entries=demo_entries()))
