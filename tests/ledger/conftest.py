"""Fixtures for the books' side: staff people holding roles, money in the bank, and short
forms of the casework services for tests that need a case or a disbursement on the way."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Group, User

from ledger.books.posting import transaction_post
from ledger.casework.cases import Identity, case_create
from ledger.casework.disbursements import (
    disbursement_record_forfeiture,
    disbursement_record_return,
    disbursement_request,
)
from ledger.models import BailCase, Disbursement

_numbers = itertools.count(1)


@pytest.fixture
def person():
    """person("approver", "case_manager") → a user holding those roles (service-level tests;
    pages log in through the staff client fixture)."""

    def make(*roles: str, username: str = "") -> User:
        user = User.objects.create_user(
            username=username or f"staff{next(_numbers)}", password="not-used-here"
        )
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def field_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return settings.FIELD_ENCRYPTION_KEYS


def deposit(amount: int, *, account: str = "assets:bank") -> None:
    """Put money in the bank (or ``account``) as an opening balance."""
    transaction_post(
        kind="opening",
        date=dt.date(2026, 1, 1),
        legs=[(account, amount), ("net_assets:opening_balance", -amount)],
        idempotency_key=f"test-opening:{next(_numbers)}",
        memo="Opening balance",
    )


@pytest.fixture
def fund_bank():
    """fund_bank(amount) puts money in the bank as an opening balance."""
    return deposit


def open_case(actor, identity: Identity, **fields) -> BailCase:
    """A criminal bail case in Hennepin opened on 1 March 2026, unless ``fields`` (county,
    court, bail_type, opened_on) say otherwise."""
    fields = {"county": "Hennepin", "bail_type": "criminal_bail"} | fields
    fields.setdefault("opened_on", dt.date(2026, 3, 1))
    return case_create(actor=actor, identity=identity, **fields)


def request_disbursement(actor, case: BailCase, amount: int, **choices) -> Disbursement:
    """A request for bail paid to a court by check, with a fresh form token, unless
    ``choices`` (purpose, payee_kind, payee_name, method, token, instrument_reference) say
    otherwise."""
    choices = {
        "purpose": "bail",
        "payee_kind": "court",
        "payee_name": "Hennepin County District Court",
        "method": "check",
    } | choices
    choices.setdefault("token", uuid.uuid4().hex)
    return disbursement_request(actor=actor, case=case, amount=amount, **choices)


def _outcome(service, actor, d: Disbursement, *, on: dt.date, token: str, **amounts):
    token = token or uuid.uuid4().hex
    return service(actor=actor, disbursement=d, token=token, occurred_on=on, **amounts)


def record_return(
    actor, d: Disbursement, returned: int, *, on: dt.date, fees: int = 0, token: str = ""
) -> Disbursement:
    """``returned`` back from the court on ``on``, ``fees`` withheld (a fresh form token
    unless given)."""
    amounts = {"returned_amount": returned, "court_fees": fees}
    return _outcome(disbursement_record_return, actor, d, on=on, token=token, **amounts)


def record_forfeiture(
    actor, d: Disbursement, amount: int, *, on: dt.date, token: str = ""
) -> Disbursement:
    """``amount`` kept by the court on ``on`` (a fresh form token unless given)."""
    return _outcome(disbursement_record_forfeiture, actor, d, on=on, token=token, amount=amount)
