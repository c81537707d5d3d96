"""verify_ledger checks the Stripe records here against the books: a charge, a refund or a
dispute whose entry was rewritten behind the triggers (every hash, balance and monthly total
recomputed after it) is named, with its donation, and so is a charge whose balance
transaction never reached the books."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from donations.events.posting import post_balance_transaction
from donations.models import Donation, StripeCharge
from donations.reconciliation.discrepancies import discrepancy_open
from ledger.books.chart import DISPUTE_LOSSES, DONATIONS, DONATIONS_REFUNDED, STRIPE
from ledger.books.verification import verify_ledger
from ledger.models import JournalTransaction
from tests.donations.conftest import given, succeeded_gift
from tests.ledger.books.tampering import rewrite, set_leg


@dataclass
class AtStripe:
    donation: Donation  # given through the page, then 2,000 of it refunded
    charge: StripeCharge
    refund: dict
    dispute: dict  # on a charge made outside the page, lost

    @staticmethod
    def entry(balance_transaction) -> JournalTransaction:
        bt = (
            balance_transaction
            if isinstance(balance_transaction, str)
            else balance_transaction["id"]
        )
        return JournalTransaction.objects.get(idempotency_key=f"stripe:{bt}")


@pytest.fixture
def at_stripe(live_sandbox, donor) -> AtStripe:
    donation = given(live_sandbox, donor, amount_choice="5000")
    charge = StripeCharge.objects.get(donation=donation)
    refund = live_sandbox.state.create_refund(charge=charge.charge_id, amount=2_000)
    disputed = live_sandbox.state.create_charge(2_000).charge
    dispute = live_sandbox.state.create_dispute(disputed)
    live_sandbox.state.close_dispute(dispute["id"], "lost")
    assert live_sandbox.flush_webhooks(timeout=20)
    return AtStripe(donation, charge, refund, dispute)


@pytest.mark.django_db(transaction=True)
def test_charges_refunds_and_disputes_processed_from_stripe_agree_with_the_books(at_stripe):
    report = verify_ledger()
    assert report.ok, report.problems
    assert report.subledger_records_checked == 2 + 1 + 1  # two charges, a refund, a dispute


def _charge_larger(at_stripe: AtStripe):
    charge = at_stripe.charge
    entry = at_stripe.entry(charge.balance_transaction_id)
    statements = [
        set_leg(entry.sequence, DONATIONS, -9_000),
        set_leg(entry.sequence, STRIPE, 9_000 - charge.fee),
    ]
    name = f"Stripe charge {charge.charge_id} (donation {at_stripe.donation.public_id})"
    given = f"amount is {charge.amount}, its journal legs give 9000"
    return statements, f"{name}: {given} (#{entry.sequence})"


def _refund_smaller(at_stripe: AtStripe):
    entry = at_stripe.entry(at_stripe.refund["balance_transaction"])
    statements = [
        set_leg(entry.sequence, DONATIONS_REFUNDED, 500),
        set_leg(entry.sequence, STRIPE, -500),
    ]
    name = f"Stripe refund {at_stripe.refund['id']} of charge {at_stripe.charge.charge_id}"
    return statements, f"{name}: refunded is 2000, its journal legs give 500 (#{entry.sequence})"


def _dispute_cheaper(at_stripe: AtStripe):
    withdrawn = at_stripe.dispute["balance_transactions"][0]
    entry = at_stripe.entry(withdrawn)
    statements = [
        set_leg(entry.sequence, DISPUTE_LOSSES, 1_500),
        set_leg(entry.sequence, STRIPE, -1_500),
    ]
    name = f"Stripe dispute {at_stripe.dispute['id']} of charge {at_stripe.dispute['charge']}"
    return (
        statements,
        f"{name}: lost with fees is 3500, its journal legs give 1500 (#{entry.sequence})",
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "tamper",
    [_charge_larger, _refund_smaller, _dispute_cheaper],
    ids=lambda tamper: tamper.__name__.strip("_"),
)
def test_an_entry_rewritten_with_fresh_hashes_is_named_by_its_stripe_record(at_stripe, tamper):
    statements, expected = tamper(at_stripe)
    rewrite(*statements)

    report = verify_ledger()
    assert report.problems == [expected]
    assert at_stripe.donation.email not in expected


def _charge_row(charge_id: str, balance_transaction: str, **fields) -> StripeCharge:
    values = {"amount": 2_500, "fee": 103, "currency": "usd", "charged_at": timezone.now()}
    return StripeCharge.objects.create(
        charge_id=charge_id, balance_transaction_id=balance_transaction, **(values | fields)
    )


@pytest.mark.django_db
def test_a_charge_whose_balance_transaction_is_not_in_the_books_is_named():
    gift = succeeded_gift()
    _charge_row("ch_lost", "txn_lost", donation=gift)
    # Refused by the books (another currency): already an open discrepancy for staff.
    _charge_row("ch_elsewhere", "txn_refused", currency="gbp")
    discrepancy_open(
        kind="balance_transaction_refused",
        stripe_object="txn_refused",
        expected=2_397,
        found=None,
        description="The books refused this balance transaction: another currency",
    )

    report = verify_ledger()
    assert report.problems == [
        f"Stripe charge ch_lost (donation {gift.public_id}): its balance transaction txn_lost "
        "is not in the journal"
    ]


@pytest.mark.django_db
def test_a_charge_paid_in_another_currency_is_compared_by_its_fee():
    """Given in euros and settled in dollars: only the fee is in the currency of the books."""
    created = int(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC).timestamp())
    settled = {"id": "txn_eur", "object": "balance_transaction", "type": "charge"}
    settled |= {"amount": 11_000, "fee": 349, "net": 10_651, "currency": "usd"}
    post_balance_transaction(settled | {"created": created, "source": "ch_eur"})
    charge = _charge_row("ch_eur", "txn_eur", amount=10_000, currency="eur", fee=349)
    assert verify_ledger().ok

    StripeCharge.objects.filter(pk=charge.pk).update(fee=300)
    (entry,) = JournalTransaction.objects.filter(idempotency_key="stripe:txn_eur")
    assert verify_ledger().problems == [
        f"Stripe charge ch_eur: fee is 300, its journal legs give 349 (#{entry.sequence})"
    ]
