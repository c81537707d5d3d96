import datetime as dt

import pytest
from django.test.utils import override_settings

from ledger import exceptions
from ledger.books.posting import (
    Entry,
    transaction_post,
    transaction_reverse,
    transactions_post_batch,
)
from ledger.books.selectors import account_balances
from ledger.models import Account, JournalTransaction, MonthlyTotal, Posting

pytestmark = pytest.mark.django_db

DONATION = [
    ("assets:stripe", 9680),
    ("expenses:processing_fees", 320),
    ("income:donations", -10000),
]


def _nothing_written():
    return (
        JournalTransaction.objects.count() == 0
        and Posting.objects.count() == 0
        and MonthlyTotal.objects.count() == 0
        and not any(account_balances().values())
    )


def test_it_posts_a_balanced_transaction_and_updates_balances(post):
    txn = post(DONATION, kind="donation", memo="Card donation", source_ref="stripe:txn_1")

    assert txn.sequence == 1
    assert txn.postings.count() == 3
    balances = account_balances()
    assert balances["assets:stripe"] == 9680
    assert balances["expenses:processing_fees"] == 320
    assert balances["income:donations"] == -10000
    assert sum(balances.values()) == 0


def test_it_keeps_monthly_totals_by_economic_date(post):
    post(DONATION, date=dt.date(2026, 1, 31))
    post(DONATION, date=dt.date(2026, 2, 1))
    post([("income:donations", 10000), ("assets:stripe", -10000)], date=dt.date(2026, 2, 2))

    stripe = Account.objects.get(code="assets:stripe")
    months = {
        m.month: (m.debits, m.credits, m.postings_count)
        for m in MonthlyTotal.objects.filter(account=stripe)
    }
    assert months == {
        dt.date(2026, 1, 1): (9680, 0, 1),
        dt.date(2026, 2, 1): (9680, 10000, 2),
    }


@pytest.mark.parametrize(
    ("legs", "error"),
    [
        ([("assets:bank", 100)], exceptions.TooFewPostings),
        ([], exceptions.TooFewPostings),
        ([("assets:bank", 100), ("income:donations", -99)], exceptions.UnbalancedTransaction),
        ([("assets:bank", 0), ("income:donations", 0)], exceptions.InvalidAmount),
        ([("assets:bank", 1.5), ("income:donations", -1.5)], exceptions.InvalidAmount),
        ([("assets:bank", True), ("income:donations", -1)], exceptions.InvalidAmount),
        ([("assets:bank", 10**16), ("income:donations", -(10**16))], exceptions.InvalidAmount),
        ([("assets:nowhere", 100), ("income:donations", -100)], exceptions.UnknownAccount),
        ([("assets:bank", 100, 1), ("income:donations", -100)], exceptions.InvalidEntry),
    ],
)
def test_it_rejects_an_invalid_entry_and_writes_nothing(post, legs, error):
    with pytest.raises(error):
        post(legs)
    assert _nothing_written()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "gift"}, exceptions.InvalidEntry),
        ({"date": dt.datetime(2026, 1, 1)}, exceptions.InvalidEntry),
        ({"memo": "from jo@example.org"}, exceptions.PersonalDataInMemo),
        ({"currency": "eur"}, exceptions.CurrencyMismatch),
    ],
    ids=["unknown kind", "datetime as economic date", "email in memo", "another currency"],
)
def test_it_rejects_a_bad_field_and_writes_nothing(post, fields, error):
    with pytest.raises(error):
        post([("assets:bank", 100), ("income:donations", -100)], **fields)
    assert _nothing_written()


@pytest.mark.parametrize("field", ["memo", "source_ref", "idempotency_key"])
def test_it_rejects_a_nul_character_on_every_database(field):
    # PostgreSQL's text type cannot store one: without this check it would fail deep in the
    # database, with a different error on each path.
    text = {"memo": "a\x00b", "source_ref": "s\x00", "idempotency_key": "k\x00"}[field]
    fields = {"memo": "", "source_ref": "", "idempotency_key": "nul-test"} | {field: text}
    with pytest.raises(exceptions.InvalidEntry, match="NUL"):
        transaction_post(
            kind="donation",
            date=dt.date(2026, 1, 1),
            legs=[("assets:bank", 100), ("income:donations", -100)],
            **fields,
        )
    assert _nothing_written()


def test_it_rejects_an_empty_idempotency_key():
    with pytest.raises(exceptions.InvalidEntry):
        transaction_post(
            kind="adjustment",
            date=dt.date(2026, 1, 1),
            legs=[("assets:bank", 1), ("assets:cash", -1)],
            idempotency_key="  ",
        )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"is_open": False}, exceptions.AccountClosed),
        ({"currency": "eur"}, exceptions.CurrencyMismatch),
    ],
    ids=["closed", "kept in another currency"],
)
def test_it_refuses_postings_to_an_account_closed_or_in_another_currency(post, change, error):
    Account.objects.filter(code="assets:cash").update(**change)
    with pytest.raises(error):
        post([("assets:cash", 100), ("income:donations", -100)])
    assert _nothing_written()


@override_settings(FUND_CURRENCY="eur")
def test_the_fund_currency_comes_from_settings(post):
    with pytest.raises(exceptions.CurrencyMismatch):
        post([("assets:bank", 100), ("income:donations", -100)])


def test_the_same_key_with_the_same_content_returns_the_first_transaction(post):
    first = post(DONATION, key="stripe:txn_1", kind="donation")
    again = post(list(reversed(DONATION)), key="stripe:txn_1", kind="donation")

    assert again.pk == first.pk
    assert JournalTransaction.objects.count() == 1
    assert account_balances()["income:donations"] == -10000


def test_the_same_key_with_other_content_is_refused(post):
    post(DONATION, key="stripe:txn_1", kind="donation")
    with pytest.raises(exceptions.IdempotencyConflict):
        post(
            [
                ("assets:stripe", 9681),
                ("expenses:processing_fees", 319),
                ("income:donations", -10000),
            ],
            key="stripe:txn_1",
            kind="donation",
        )
    assert JournalTransaction.objects.count() == 1
    assert account_balances()["assets:stripe"] == 9680


def test_a_reversal_mirrors_the_original_and_zeroes_the_balances(post):
    original = post(DONATION, kind="donation")
    reversal = transaction_reverse(transaction_to_reverse=original)

    assert reversal.kind == "reversal"
    assert reversal.reverses_id == original.pk
    assert sorted(reversal.postings.values_list("account__code", "amount")) == sorted(
        (code, -amount) for code, amount in DONATION
    )
    assert not any(account_balances().values())


def test_a_transaction_is_reversed_only_once(post):
    original = post(DONATION)
    first = transaction_reverse(transaction_to_reverse=original)

    assert transaction_reverse(transaction_to_reverse=original).pk == first.pk
    with pytest.raises(exceptions.AlreadyReversed):
        transaction_reverse(transaction_to_reverse=original, idempotency_key="another-correction")
    assert JournalTransaction.objects.count() == 2


def test_a_reversal_by_a_person_is_audited(post, django_user_model):
    from ledger.models import AuditEvent

    bookkeeper = django_user_model.objects.create_user("bookkeeper")
    original = post(DONATION)
    reversal = transaction_reverse(transaction_to_reverse=original, actor=bookkeeper)

    event = AuditEvent.objects.get(action="ledger.transaction_reversed")
    assert event.actor == bookkeeper
    assert event.details == {"reversal_sequence": reversal.sequence}
    assert reversal.actor == bookkeeper


def _entry(n, legs=None, **kwargs):
    return Entry(
        kind="adjustment",
        date=dt.date(2026, 4, 1),
        legs=legs or (("assets:bank", 100 + n), ("income:donations", -(100 + n))),
        idempotency_key=f"batch:{n}",
        **kwargs,
    )


def test_a_batch_posts_in_order_with_a_gapless_sequence():
    transactions = transactions_post_batch(entries=[_entry(n) for n in range(50)])

    assert [t.sequence for t in transactions] == list(range(1, 51))
    assert account_balances()["assets:bank"] == sum(100 + n for n in range(50))


def test_a_batch_with_one_bad_entry_writes_nothing():
    entries = [_entry(n) for n in range(5)] + [_entry(5, legs=(("assets:bank", 1),))]
    with pytest.raises(exceptions.TooFewPostings):
        transactions_post_batch(entries=entries)
    assert _nothing_written()


def test_a_batch_returns_earlier_transactions_for_keys_already_posted():
    first = transactions_post_batch(entries=[_entry(0), _entry(1)])
    second = transactions_post_batch(entries=[_entry(1), _entry(2), _entry(2)])

    assert second[0].pk == first[1].pk
    assert second[1].pk == second[2].pk
    assert JournalTransaction.objects.count() == 3


def test_a_batch_refuses_one_key_with_two_contents():
    with pytest.raises(exceptions.IdempotencyConflict):
        transactions_post_batch(
            entries=[_entry(0), _entry(0, legs=(("assets:cash", 5), ("income:donations", -5)))]
        )
    assert _nothing_written()


def test_each_transaction_links_to_the_previous_hash(post):
    first = post(DONATION)
    second = post(DONATION)

    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert first.hash != second.hash
