"""The one-statement PostgreSQL posting (``ledger.books.postgres.post_one``) restates in SQL
what the portable path computes in Python: the chain's next sequence and hash, the legs,
the balances and the monthly totals. Random entries posted through each path, from the
same books at the same instant, must leave identical rows."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.books import postgres
from ledger.books.entries import Entry, validate
from ledger.books.posting import entry_post, transactions_post_batch
from ledger.books.verification import verify_ledger
from ledger.models import Account, ChainHead, JournalTransaction, MonthlyTotal, Posting
from tests.ledger.books.strategies import balanced_legs

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

NOW = dt.datetime(2026, 3, 31, 23, 59, 59, 123456, tzinfo=dt.UTC)
MEMO = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="@\x00"), max_size=40
)
ENTRIES = st.lists(
    st.tuples(balanced_legs(), st.dates(dt.date(2024, 1, 1), NOW.date()), MEMO),
    min_size=1,
    max_size=10,
)


class _Rollback(Exception):
    pass


def _entries(drawn) -> list[Entry]:
    return [
        Entry(kind="adjustment", date=date, legs=tuple(legs), idempotency_key=f"k{i}", memo=memo)
        for i, (legs, date, memo) in enumerate(drawn)
    ]


def _books() -> dict:
    return {
        "journal": list(
            JournalTransaction.objects.order_by("sequence").values_list(*postgres.TXN_FIELDS)
        ),
        "legs": sorted(
            Posting.objects.values_list("transaction__sequence", "account__code", "amount")
        ),
        "balances": dict(Account.objects.values_list("code", "balance")),
        "monthly": sorted(
            MonthlyTotal.objects.values_list(
                "account__code", "month", "debits", "credits", "postings_count"
            )
        ),
        "head": ChainHead.objects.values_list("sequence", "hash").get(),
    }


def _posted_through(post, entries: list[Entry]) -> dict:
    try:
        with transaction.atomic():
            for entry in entries:
                post(entry)
            assert verify_ledger().ok
            books = _books()
            raise _Rollback
    except _Rollback:
        return books


def _one_statement(entry: Entry) -> None:
    assert postgres.post_one(validate(entry), None) is not None, "the fast path declined"


def _portable(entry: Entry) -> None:
    transactions_post_batch(entries=[entry])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=ENTRIES)
def test_the_one_statement_posting_writes_what_the_portable_path_writes(drawn):
    entries = _entries(drawn)
    with mock.patch.object(timezone, "now", return_value=NOW):
        fast = _posted_through(_one_statement, entries)
        portable = _posted_through(_portable, entries)
    assert len(fast["journal"]) == len(entries)
    assert fast == portable


def test_an_entry_naming_the_one_it_reverses_is_written_and_hashed_with_it():
    """The one statement writes no ``reverses``; such an entry takes the portable path."""
    legs = (("assets:bank", 5_000), ("net_assets:opening_balance", -5_000))
    first = entry_post(
        Entry(kind="adjustment", date=NOW.date(), legs=legs, idempotency_key="first")
    )
    undone = tuple((code, -amount) for code, amount in legs)
    second = entry_post(
        Entry(
            kind="adjustment",
            date=NOW.date(),
            legs=undone,
            idempotency_key="second",
            reverses=first,
        )
    )

    assert JournalTransaction.objects.get(pk=second.pk).reverses_id == first.pk
    assert verify_ledger().ok
