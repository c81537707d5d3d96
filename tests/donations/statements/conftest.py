"""Gifts of a tax year, by card and by check, for the statements' tests."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from donations.models import StripeCharge
from donations.offline.services import offline_gift_record
from tests.donations.conftest import succeeded_gift

YEAR = 2025


def at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(YEAR, month, day, hour, tzinfo=dt.UTC)


def card_gift(email: str, *charges: tuple, **fields):
    """A donation with one charge per (amount, when[, refunded])."""
    donation = succeeded_gift(email=email, **fields)
    for amount, when, *refunded in charges:
        StripeCharge.objects.create(
            charge_id=f"ch_{uuid.uuid4().hex[:16]}",
            donation=donation,
            amount=amount,
            amount_refunded=refunded[0] if refunded else 0,
            currency="usd",
            charged_at=when,
        )
    return donation


@pytest.fixture
def bookkeeper(staff_user):
    return staff_user("bookkeeper")


@pytest.fixture
def check_gift(bookkeeper):
    def record(amount: int, received_on: dt.date, **donor):
        return offline_gift_record(
            actor=bookkeeper,
            method="check",
            amount=amount,
            received_on=received_on,
            token=uuid.uuid4().hex,
            reference="4417",
            **donor,
        )

    return record
