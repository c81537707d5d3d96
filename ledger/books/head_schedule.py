"""When posting calls for a new signed tree head (``ledger.books.tree_heads``): after every
``LEDGER_HEAD_EVERY`` transactions, besides the hourly schedule."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction


def heads_crossed(before: int, after: int) -> bool:
    """Whether posting from sequence ``before`` to ``after`` passed a multiple of
    ``LEDGER_HEAD_EVERY`` (0: heads come only from the hourly schedule)."""
    every = settings.LEDGER_HEAD_EVERY
    return bool(every) and after // every > before // every


def schedule_after(before: int, after: int) -> None:
    """Once the caller's transaction commits, sign a head if a multiple was passed."""
    if heads_crossed(before, after):
        from ledger.tasks import sign_tree_head

        transaction.on_commit(sign_tree_head.delay)
