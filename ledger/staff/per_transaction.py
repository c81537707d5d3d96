"""What happens once per database transaction: one audit event for the ten recovery codes
saved together, one email for the changes made to one account together.

:func:`transaction_scope` hands out a dict that lives as long as the current atomic block
(the outermost transaction, or the savepoint inside it). It is forgotten when the
transaction commits or rolls back, so the next one starts with an empty dict; outside any
atomic block each call gets a new one.
"""

from __future__ import annotations

import threading

from django.db import connections, transaction


class _Scope(dict):
    """Registered with ``on_commit`` (as a callback that does nothing) so that it is known to
    belong to the transaction still open: Django drops it from the connection's pending
    callbacks when that transaction commits or rolls back."""

    def __call__(self) -> None:
        return None


_local = threading.local()


def _pending(connection) -> list:
    return [entry[1] for entry in connection.run_on_commit]


def transaction_scope(using: str) -> dict:
    connection = connections[using]
    if not connection.in_atomic_block:
        return {}
    key = (using, tuple(connection.savepoint_ids))
    pending = _pending(connection)
    scopes = {
        k: scope
        for k, scope in getattr(_local, "scopes", {}).items()
        if k[0] != using or any(scope is callback for callback in pending)
    }
    scope = scopes.get(key)
    if scope is None:
        scope = scopes[key] = _Scope()
        transaction.on_commit(scope, using=using)
    _local.scopes = scopes
    return scope
