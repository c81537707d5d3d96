"""The public figures keep answering when the database drops a web process's connection (a
restart, a failover, ``pg_terminate_backend``): the version query every request asks
replaces a dropped connection and asks again, instead of failing every request until
CONN_MAX_AGE."""

from __future__ import annotations

import pytest
from django.db import OperationalError, close_old_connections, connection, connections, transaction

from ledger.transparency import current_version

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _a_live_connection_afterwards():
    """Whatever a test leaves, the flush after it gets a working connection."""
    yield
    connection.close()


def _database_drops_this_connection() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def test_the_first_request_after_a_dropped_connection_reads_the_figures():
    before = current_version()
    _database_drops_this_connection()

    close_old_connections()  # as Django does when the next request starts

    assert current_version().sequence == before.sequence


def test_the_request_that_meets_the_dropped_connection_reconnects_and_reads_the_figures():
    before = current_version()
    _database_drops_this_connection()

    assert current_version().sequence == before.sequence
    assert not connection.errors_occurred  # the new connection is kept for the next request


def test_inside_a_transaction_a_dropped_connection_is_an_error_not_a_silent_reconnect():
    current_version()
    with pytest.raises(OperationalError), transaction.atomic():
        _database_drops_this_connection()
        current_version()
