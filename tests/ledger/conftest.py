"""Fixtures for the books' side: staff people holding roles, and money in the bank."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Group, User

from ledger.books.posting import transaction_post

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
