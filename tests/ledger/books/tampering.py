"""An insider with the owner's rights, behind the books' triggers: rows are changed, then
every hash, balance and monthly total and the chain head are recomputed, so the chain walk
of ``verify_ledger`` passes again and only what it checks beyond the journal can tell."""

from __future__ import annotations

from django.db import connection

from ledger.books import db_triggers
from ledger.books.hashing import GENESIS_HASH, chain_hash
from ledger.books.journal import account_codes, iter_journal
from ledger.books.totals import Totals
from ledger.models import Account, ChainHead, JournalTransaction, MonthlyTotal, Posting
from tests.db_roles import as_owner


def rewrite(*statements: tuple[str, list]) -> None:
    """Run the SQL ``statements`` with the triggers dropped, cover the tracks, and put the
    triggers back."""
    with as_owner():
        db_triggers.drop(connection)
        try:
            with connection.cursor() as cursor:
                for sql, params in statements:
                    cursor.execute(sql, params)
            rechain()
        finally:
            db_triggers.install(connection)


def set_leg(sequence: int, code: str, amount: int) -> tuple[str, list]:
    """The statement that sets the leg on ``code`` of transaction #``sequence``."""
    txn = JournalTransaction.objects.get(sequence=sequence)
    leg = Posting.objects.get(transaction=txn, account__code=code)
    return "UPDATE ledger_posting SET amount = %s WHERE id = %s", [amount, leg.pk]


def delete_transaction(sequence: int) -> list[tuple[str, list]]:
    txn = JournalTransaction.objects.get(sequence=sequence)
    return [
        ("DELETE FROM ledger_posting WHERE transaction_id = %s", [txn.pk]),
        ("DELETE FROM ledger_journaltransaction WHERE id = %s", [txn.pk]),
    ]


def rechain() -> None:
    """Every hash from the first row, the balances, the monthly totals and the head, as the
    rows now are."""
    codes = account_codes()
    totals = Totals()
    prev = GENESIS_HASH
    head = (0, GENESIS_HASH, "")
    for row in list(iter_journal()):
        digest = chain_hash(prev, row.content(codes))
        JournalTransaction.objects.filter(pk=row.id).update(prev_hash=prev, hash=digest)
        for account_id, amount in row.postings:
            totals.add(account_id, row.month, amount)
        head, prev = (row.sequence, digest, prev), digest
    for account_id in Account.objects.values_list("pk", flat=True):
        Account.objects.filter(pk=account_id).update(balance=totals.balances.get(account_id, 0))
    MonthlyTotal.objects.all().delete()
    MonthlyTotal.objects.bulk_create(
        MonthlyTotal(account_id=account_id, month=month, debits=d, credits=c, postings_count=n)
        for (account_id, month), (d, c, n) in totals.monthly.items()
    )
    ChainHead.objects.filter(id=1).update(sequence=head[0], hash=head[1], prev_hash=head[2])
