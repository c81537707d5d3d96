"""A small, deterministic fund history for demos and the home page of ``make run``.

Card donations and payouts are posted as fixed entries with ``demo:…`` idempotency keys;
offline gifts, cases and their disbursements go through the same services staff use,
acted by demo users who cannot log in. Seeding twice adds nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from donations.offline.services import offline_gift_record
from ledger.books.chart import BANK, DONATIONS, PROCESSING_FEES, STRIPE
from ledger.books.posting import Entry, transactions_post_batch

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
                        (STRIPE, gross - fee),
                        (PROCESSING_FEES, fee),
                        (DONATIONS, -gross),
                    ),
                    idempotency_key=f"demo:donation:{month_index}:{n}",
                    memo="Card donation",
                    source_ref=f"demo:txn_{month_index:02d}{n:03d}",
                )
            )
        payout = sum(leg[1] for e in entries[-40:] for leg in e.legs if leg[0] == STRIPE)
        entries.append(
            Entry(
                kind="payout",
                date=month + dt.timedelta(days=27),
                legs=((BANK, payout), (STRIPE, -payout)),
                idempotency_key=f"demo:payout:{month_index}",
                memo="Stripe payout",
            )
        )
    entries.sort(key=lambda e: (e.date, e.idempotency_key))
    return entries


COUNTIES = ("Hennepin", "Ramsey", "Dakota", "Anoka", "Washington")
DEMO_STAFF = ("case_manager", "approver", "bookkeeper")


def _demo_staff() -> dict[str, object]:
    """Demo actors, one per role, who cannot log in (no usable password, no device)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    people = {}
    for role in DEMO_STAFF:
        user, created = get_user_model().objects.get_or_create(username=f"demo-{role}")
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        people[role] = user
    return people


def _demo_casework() -> None:
    """Cases and their disbursements through the same services staff use, so the staff
    pages and the public figures show a consistent history. Names are obviously fake."""
    from ledger.models import Disbursement

    if Disbursement.objects.filter(request_token__startswith="demo:").exists():  # noqa: S106
        return
    with transaction.atomic():
        _demo_cases(_demo_staff())


def _demo_cases(staff: dict) -> None:
    from ledger.casework.cases import Identity, case_create
    from ledger.casework.disbursements import (
        disbursement_approve,
        disbursement_pay,
        disbursement_record_forfeiture,
        disbursement_record_return,
        disbursement_request,
    )
    from ledger.models import BailCase

    rng = random.Random(1969)
    for month_index, month in enumerate(DEMO_MONTHS):
        offline_gift_record(
            actor=staff["bookkeeper"],
            method="check",
            amount=50000,
            received_on=month + dt.timedelta(days=10),
            token=f"demo:offline:{month_index}",
        )
        for n in range(3):
            key = f"demo:bail:{month_index}:{n}"
            opened = month + dt.timedelta(days=4 + n * 7)
            case = case_create(
                actor=staff["case_manager"],
                county=COUNTIES[(month_index + n) % len(COUNTIES)],
                bail_type="immigration_bond" if n == 2 else "criminal_bail",
                opened_on=opened,
                identity=Identity(
                    name=f"Demo Person {month_index * 3 + n + 1}",
                    docket_number=f"DEMO-{month_index:02d}-{n}",
                ),
            )
            bail = rng.choice([50000, 75000, 100000, 150000, 250000])
            d = disbursement_request(
                actor=staff["case_manager"],
                case=case,
                purpose="bail",
                amount=bail,
                payee_kind="immigration_office" if n == 2 else "court",
                payee_name="ICE Field Office" if n == 2 else f"{case.county} County Court Clerk",
                method="cashiers_check",
                token=key,
            )
            disbursement_approve(actor=staff["approver"], disbursement=d)
            disbursement_pay(
                actor=staff["approver"], disbursement=d, paid_on=opened + dt.timedelta(days=1)
            )
            if month_index < 4 and n == 0:
                disbursement_record_return(
                    actor=staff["bookkeeper"],
                    disbursement=d,
                    token=f"{key}:returned",
                    occurred_on=month + dt.timedelta(days=60),
                    returned_amount=bail - bail // 10,
                    court_fees=bail // 10,
                )
            elif month_index == 1 and n == 1:
                disbursement_record_forfeiture(
                    actor=staff["bookkeeper"],
                    disbursement=d,
                    token=f"{key}:forfeited",
                    occurred_on=month + dt.timedelta(days=90),
                    amount=bail,
                )
        support = disbursement_request(
            actor=staff["case_manager"],
            case=BailCase.objects.get(docket_lookup=_lookup(f"DEMO-{month_index:02d}-2")),
            purpose="support",
            amount=12000,
            payee_kind="immigration_office",
            payee_name="ICE Field Office",
            method="online",
            token=f"demo:support:{month_index}",
        )
        disbursement_approve(actor=staff["approver"], disbursement=support)
        disbursement_pay(
            actor=staff["approver"],
            disbursement=support,
            paid_on=month + dt.timedelta(days=20),
        )


def _lookup(docket: str) -> str:
    from ledger.casework.crypto import docket_lookup_hash

    return docket_lookup_hash(docket)


def seed_demo() -> int:
    """Post the demo history; returns how many transactions were new."""
    from ledger.models import JournalTransaction

    before = JournalTransaction.objects.count()
    transactions_post_batch(entries=demo_entries())
    _demo_casework()
    from ledger.public.releases import releases_publish_due  # the demo's months are all closed

    releases_publish_due()
    return JournalTransaction.objects.count() - before
