"""What postings add up to: each account's balance and its monthly totals.

A leg adds its amount to its account's balance and, in the month of the transaction's
date, to the debits if it is positive or to the credits (as a positive number) if it is
negative, and one to the count of postings. ``ledger.books.posting`` gathers a write's
totals here before storing them, and ``ledger.books.verification`` recomputes the stored
ones here from the journal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict


class Totals:
    """Balances by account id, and [debits, credits, postings] by (account id, month)."""

    def __init__(self) -> None:
        self.balances: dict[int, int] = defaultdict(int)
        self.monthly: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, account_id: int, month: dt.date, amount: int) -> None:
        self.balances[account_id] += amount
        totals = self.monthly[(account_id, month)]
        if amount > 0:
            totals[0] += amount
        else:
            totals[1] -= amount
        totals[2] += 1
