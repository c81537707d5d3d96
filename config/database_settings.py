"""The databases: a SQLite file under var/ by default; PostgreSQL in production, reached
as two roles (docs/operating.md, "Two database roles").

``DATABASE_URL`` is the application's role: the web, worker and beat processes run as it.
``DATABASE_OWNER_URL``, given only to the step that migrates, is the role that owns the
tables; it becomes the ``owner`` alias (``manage.py migrate --database owner``).
"""

from __future__ import annotations

from pathlib import Path


def databases(env, base_dir: Path) -> dict:
    default = env.db_url("DATABASE_URL", default=f"sqlite:///{base_dir / 'var' / 'db.sqlite3'}")
    found = {"default": _tuned(env, default, base_dir)}
    if env.str("DATABASE_OWNER_URL", default=""):
        owner = _tuned(env, env.db_url("DATABASE_OWNER_URL"), base_dir)
        # Tests create their database as the owner (tests/conftest.py), never a second one.
        owner["TEST"] = {**owner.get("TEST", {}), "MIRROR": "default"}
        found["owner"] = owner
    return found


def _tuned(env, database: dict, base_dir: Path) -> dict:
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # Writers take the lock at BEGIN (IMMEDIATE), so two posters never both read the
        # chain head and then collide.
        database.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL;",
            }
        )
        # Tests that serve the site to a browser or the Stripe sandbox write from several
        # threads: an in-memory database would fail them with "table is locked" instead of
        # waiting, so the test database is a file too.
        # SQLITE_TEST_NAME lets two test runs on one checkout use separate files.
        database["TEST"] = {
            "NAME": env.str("SQLITE_TEST_NAME", default=str(base_dir / "var" / "test-db.sqlite3"))
        }
        return database
    # Django's own queries bind parameters client-side and are never prepared; this lets
    # the ledger's posting statement (a server-side-binding cursor) stay prepared on the
    # connection. Behind a transaction-pooling proxy that cannot keep prepared statements,
    # set DATABASE_PREPARE_THRESHOLD=0.
    database.setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", env.int("DATABASE_PREPARE_THRESHOLD", default=5) or None
    )
    database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    database.setdefault("CONN_HEALTH_CHECKS", True)
    database.setdefault("TEST", {}).setdefault("NAME", None)
    return database
