"""The suite on PostgreSQL runs as production does: the test database is created and migrated
by the owner role (``DATABASE_OWNER_URL``), and every test connects as the application's
role (``DATABASE_URL``), which may only read and insert on the books.

Tests that play an insider with the owner's rights, and the cleanup between tests that
commit, take the owner's role for a moment with ``SET ROLE``: CI's application role is a
member of the owner role for that (``.ci/run``) and inherits none of its rights. A
production application role has no such membership: ``check --deploy --database default``
refuses one that has (``ledger.books.db_roles``).
"""

from __future__ import annotations

import contextlib
import os

import pytest
from django.conf import settings
from django.db import connection


def owner_role() -> str | None:
    """The owner's role name when the suite runs as two roles on PostgreSQL."""
    owner = settings.DATABASES.get("owner")
    if connection.vendor != "postgresql" or owner is None:
        return None
    if owner.get("USER") == connection.settings_dict.get("USER"):
        return None
    return owner["USER"]


def require_two_roles() -> None:
    """Skip, with the reason, where the suite runs as one role; CI never does."""
    if connection.vendor == "postgresql" and owner_role() is None:
        reason = "needs two database roles: set DATABASE_OWNER_URL as well (CI does)"
        if os.environ.get("BAILFUND_REQUIRE_SERVICES") == "1":
            pytest.fail(f"required service missing: {reason}", pytrace=False)
        pytest.skip(reason)


def app_role() -> str:
    return connection.settings_dict["USER"]


def set_role(role: str | None) -> None:
    with connection.cursor() as cursor:
        if role:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
        else:
            cursor.execute("RESET ROLE")


@contextlib.contextmanager
def as_owner():
    """Act with the owner's rights (an insider who has them) on the test's connection, in
    its transaction. A no-op where the suite runs as one role."""
    role = owner_role()
    if role:
        set_role(role)
    try:
        yield
    finally:
        if role:
            set_role(None)


def connect_as_owner_for_setup() -> None:
    """Before the test database is created: connect as the owner, which creates it."""
    owner = settings.DATABASES.get("owner")
    if connection.vendor != "postgresql" or owner is None:
        return
    connection.settings_dict["APP_USER"] = connection.settings_dict["USER"]
    connection.settings_dict["APP_PASSWORD"] = connection.settings_dict.get("PASSWORD", "")
    connection.settings_dict["USER"] = owner["USER"]
    connection.settings_dict["PASSWORD"] = owner.get("PASSWORD", "")
    connection.close()


def switch_to_app_role() -> None:
    """After migrating: grant the application's role its rights, then connect as it."""
    if "APP_USER" not in connection.settings_dict:
        return
    from ledger.books.db_roles import grant_app_role

    grant_app_role(connection, connection.settings_dict["APP_USER"])
    _swap_users()


def switch_back_to_owner() -> None:
    """Before the test database is dropped, which only its owner may do."""
    if "APP_USER" in connection.settings_dict:
        _swap_users()


def _swap_users() -> None:
    data = connection.settings_dict
    data["USER"], data["APP_USER"] = data["APP_USER"], data["USER"]
    data["PASSWORD"], data["APP_PASSWORD"] = data["APP_PASSWORD"], data["PASSWORD"]
    connection.close()
