"""The database itself refuses what the services refuse, and the chain catches the rest."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from ledger.books.tree_heads import checkpoint_create
from ledger.books.verification import verify_ledger
from ledger.models import Account, JournalTransaction
from tests.db_roles import as_owner

pytestmark = pytest.mark.django_db

DONATION = [
    ("assets:stripe", 9680),
    ("expenses:processing_fees", 320),
    ("income:donations", -10000),
]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_posting SET amount = amount + 1",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_journaltransaction SET memo = 'rewritten'",
        "DELETE FROM ledger_journaltransaction",
        "UPDATE ledger_checkpoint SET hash = 'x'",
        "DELETE FROM ledger_checkpoint",
    ],
)
def test_raw_sql_cannot_update_or_delete_journal_rows_even_as_their_owner(post, statement):
    post(DONATION)
    checkpoint_create()
    with (
        as_owner(),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert verify_ledger().ok


def test_the_audit_log_is_append_only(django_user_model):
    from ledger.books.posting import audit_record

    audit_record(actor=None, action="test.done", object_type="thing", object_id="1", details={})
    with (
        as_owner(),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE ledger_auditevent SET action = 'other'")


def _insert_raw_transaction(cursor, *, sequence, key, legs):
    bank = Account.objects.get(code="assets:bank").pk
    income = Account.objects.get(code="income:donations").pk
    cursor.execute(
        "INSERT INTO ledger_journaltransaction (sequence, kind, date, recorded_at, currency, "
        "memo, source_ref, idempotency_key, prev_hash, hash) VALUES "
        "(%s, 'adjustment', '2026-01-01', now(), 'usd', '', '', %s, %s, %s) RETURNING id",
        [sequence, key, "0" * 64, key.ljust(64, "0")],
    )
    txn_id = cursor.fetchone()[0]
    for account, amount in zip((bank, income), legs, strict=False):
        cursor.execute(
            "INSERT INTO ledger_posting (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
            [txn_id, account, amount],
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("legs", [(100, -99), (100,)], ids=["unbalanced", "one-legged"])
def test_an_unbalanced_or_one_legged_transaction_inserted_with_raw_sql_fails_at_commit(legs):
    with (
        pytest.raises(DatabaseError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _insert_raw_transaction(cursor, sequence=1, key="raw:1", legs=legs)
    assert JournalTransaction.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_balanced_transaction_inserted_with_raw_sql_commits_but_fails_verification():
    with transaction.atomic(), connection.cursor() as cursor:
        _insert_raw_transaction(cursor, sequence=1, key="raw:1", legs=(100, -100))
    report = verify_ledger()
    assert not report.ok
    assert report.first_bad_sequence == 1


def test_a_posting_changed_behind_the_triggers_is_named_by_verify_ledger(post, insider):
    for _ in range(5):
        post(DONATION)
    third = JournalTransaction.objects.get(sequence=3)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_posting SET amount = amount + 100 WHERE transaction_id = %s "
            "AND amount > 0 AND account_id = %s",
            [third.pk, Account.objects.get(code="assets:stripe").pk],
        )
        cursor.execute(
            "UPDATE ledger_posting SET amount = amount - 100 WHERE transaction_id = %s "
            "AND account_id = %s",
            [third.pk, Account.objects.get(code="expenses:processing_fees").pk],
        )

    with pytest.raises(CommandError, match="at sequence 3"):
        call_command("verify_ledger")


def test_a_history_rewritten_with_fresh_hashes_fails_against_old_checkpoints(post, insider):
    """Recomputing every later hash makes the chain consistent again, but not the
    checkpoint that was published before the rewrite."""
    from ledger.books.hashing import chain_hash
    from ledger.books.journal import account_codes, iter_journal
    from ledger.models import ChainHead

    for _ in range(4):
        post(DONATION)
    checkpoint_create()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_journaltransaction SET memo = 'rewritten' WHERE sequence = 2")
    codes = account_codes()
    prev = "0" * 64
    for row in list(iter_journal()):
        digest = chain_hash(prev, row.content(codes))
        JournalTransaction.objects.filter(pk=row.id).update(prev_hash=prev, hash=digest)
        prev = digest
    ChainHead.objects.filter(id=1).update(hash=prev)

    report = verify_ledger()
    assert not report.ok
    assert any("checkpoint" in problem for problem in report.problems)
    assert all("hash does not match" not in problem for problem in report.problems)


def test_stored_balances_that_drift_from_the_postings_fail_verification(post):
    post(DONATION)
    Account.objects.filter(code="assets:stripe").update(balance=1)

    report = verify_ledger()
    assert not report.ok
    assert "balance of assets:stripe is 1" in report.problems[0]


def test_a_clean_ledger_verifies_with_a_one_line_summary(post, capsys):
    for _ in range(3):
        post(DONATION, date=dt.date(2026, 2, 1))
    checkpoint_create()
    call_command("verify_ledger")
    out = capsys.readouterr().out.strip()
    assert out.startswith("ledger OK: 3 transactions, 9 postings")
    assert "1 checkpoints agree" in out
    assert "\n" not in out
