"""Statements that survive a dropped database connection.

The hot paths (the webhook's insert, the public figures' version query) use a raw psycopg
cursor on Django's connection, which skips Django's health check: that check is a second
round trip on every request. Instead, when the database has dropped the connection (a
restart, a failover, ``pg_terminate_backend``), the statement is run once more on a new
connection, so a dropped connection costs no failed request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

T = TypeVar("T")


def on_a_live_connection(run: Callable[[], T]) -> T:
    """``run()`` (one statement on Django's default connection, safe to repeat), again on a
    new connection if the first raised because the connection was lost. Inside a
    transaction nothing is repeated: what the transaction did is gone with the connection."""
    try:
        return run()
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return run()
