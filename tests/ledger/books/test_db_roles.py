"""The application's database role cannot rewrite, truncate or unguard the books; only the
owner, which migrations run as, could, and even it cannot truncate them unseen.

These run where the suite runs as two roles on PostgreSQL (CI does: .ci/run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from ledger.books.db_roles import role_problems
from ledger.books.db_triggers import APPEND_ONLY_TABLES
from ledger.books.tree_heads import checkpoint_create
from tests.db_roles import app_role, as_owner, owner_role, require_two_roles

ROOT = Path(__file__).resolve().parents[3]
DONATION = [
    ("assets:stripe", 9680),
    ("expenses:processing_fees", 320),
    ("income:donations", -10000),
]

pytestmark = [pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _two_roles():
    require_two_roles()


def _refused(statement: str) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as c:
        c.execute(statement)
    return str(error.value)


@pytest.mark.django_db
@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_the_application_role_cannot_change_truncate_or_unguard_the_books(post, table):
    post(DONATION)
    checkpoint_create()

    for statement in (
        f"UPDATE {table} SET id = id",
        f"DELETE FROM {table}",
        f"TRUNCATE {table} CASCADE",
    ):
        assert "permission denied" in _refused(statement)
    for statement in (
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"DROP TRIGGER {table}_append_only ON {table}",
        f"DROP TABLE {table} CASCADE",
    ):
        assert "must be owner" in _refused(statement)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        assert cursor.fetchone()[0] >= 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_truncate_is_refused_even_to_the_owner(post, table):
    post(DONATION)
    checkpoint_create()

    with as_owner():
        assert "append-only: TRUNCATE" in _refused(f"TRUNCATE {table} CASCADE")


@pytest.mark.django_db
def test_the_application_role_has_nothing_to_answer_for_but_the_test_membership():
    """CI's application role may SET ROLE to the owner (so tests can play the insider);
    that membership is all the check finds, and the owner itself fails on every count."""
    with connection.cursor() as cursor:
        problems = role_problems(cursor)
    assert problems
    assert all("may act as the owner of" in problem for problem in problems)

    with as_owner(), connection.cursor() as cursor:
        as_owner_problems = role_problems(cursor)
    for table in APPEND_ONLY_TABLES:
        assert any(f"may UPDATE, DELETE, TRUNCATE, TRIGGER {table}" in p for p in as_owner_problems)


def _deploy_check(database_url: str, owner_url: str) -> subprocess.CompletedProcess:
    from tests.config.test_deploy import production_env

    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--database", "default"],
        cwd=ROOT,
        env=production_env(DATABASE_URL=database_url, DATABASE_OWNER_URL=owner_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _url(role: str) -> str:
    data = connection.settings_dict
    return f"postgres://{role}@{data['HOST'] or '127.0.0.1'}:{data['PORT'] or 5432}/{data['NAME']}"


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_the_deploy_check_passes_two_roles_and_fails_one():
    """A role made as production's is (no membership), granted by a migration as the
    owner, passes; the owner as DATABASE_URL fails, as does a single role."""
    owner, probe = owner_role(), f"{app_role()}_probe"
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [probe])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {connection.ops.quote_name(probe)} LOGIN")
    call_command("migrate", database="owner", verbosity=0)  # grants DATABASE_URL's role

    from ledger.books.db_roles import grant_app_role

    with as_owner():
        grant_app_role(connection, probe)

    two_roles = _deploy_check(_url(probe), _url(owner))
    one_role = _deploy_check(_url(owner), _url(owner))

    assert "bailfund.E009" not in two_roles.stdout + two_roles.stderr
    assert "bailfund.E011" not in two_roles.stdout + two_roles.stderr, two_roles.stderr
    assert one_role.returncode != 0
    assert "bailfund.E009" in one_role.stderr
    assert f"the role {owner} owns, or may act as the owner of, ledger_posting" in one_role.stderr


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_migrating_as_the_owner_grants_the_application_role_on_new_tables():
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE ledger_roles_probe (id integer)")
    try:
        call_command("migrate", database="owner", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO ledger_roles_probe VALUES (1)")
            cursor.execute("SELECT count(*) FROM ledger_roles_probe")
            assert cursor.fetchone() == (1,)
    finally:
        with as_owner(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE ledger_roles_probe")
