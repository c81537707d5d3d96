"""Database triggers that make the journal append-only and balanced without Python.

Installed by migration ``0003_triggers``. On both databases, UPDATE and DELETE of journal
transactions, postings, checkpoints and audit events are refused; on PostgreSQL, so is
TRUNCATE of any of them (a statement-level trigger: row triggers never see a TRUNCATE,
migration ``0013``). On PostgreSQL, a deferred
constraint trigger also rejects, at commit, a transaction whose legs do not sum to zero or
that has fewer than two legs, however the rows were inserted; and legs added later to a
transaction committed earlier are refused when their statement ends unless they balance.

Triggers stop mistakes and casual tampering by the application. The tables' owner can
drop them, which is why the application runs as a role of its own that owns nothing and
may only read and insert here (``ledger.books.db_roles``), and why the hash chain and the
signed heads published outside the fund exist (docs/threat-model.md).
"""

from __future__ import annotations

# Installed by migration 0003; the public releases' table joined them in 0010.
JOURNAL_TABLES = (
    "ledger_journaltransaction",
    "ledger_posting",
    "ledger_checkpoint",
    "ledger_auditevent",
)
RELEASE_TABLES = ("ledger_transparencyrelease",)
APPEND_ONLY_TABLES = JOURNAL_TABLES + RELEASE_TABLES

_PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_check_balanced(txn_id bigint) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
        total numeric;
        legs bigint;
    BEGIN
        SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, legs
            FROM ledger_posting WHERE transaction_id = txn_id;
        IF total <> 0 OR legs < 2 THEN
            RAISE EXCEPTION 'ledger transaction % is unbalanced (sum %, % legs)',
                txn_id, total, legs
                USING ERRCODE = 'check_violation';
        END IF;
    END
    $$;
    """,
    # A leg may only be written in the same database transaction as its journal
    # transaction, so the deferred check below sees every leg a transaction will ever have.
    # The journal row is visible here, so if its inserting transaction is still in progress
    # it is this one (or one of its savepoints).
    """
    CREATE OR REPLACE FUNCTION ledger_posting_with_its_transaction() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        inserted_by xid;
    BEGIN
        SELECT xmin INTO inserted_by FROM ledger_journaltransaction
         WHERE id = NEW.transaction_id;
        IF inserted_by IS NULL OR pg_xact_status(
            ((pg_current_xact_id()::text::bigint >> 32 << 32)
             | inserted_by::text::bigint)::text::xid8
        ) IS DISTINCT FROM 'in progress' THEN
            RAISE EXCEPTION 'ledger transaction % is closed: legs are written with it',
                NEW.transaction_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_transaction_balanced() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM ledger_check_balanced(NEW.id);
        RETURN NULL;
    END
    $$;
    """,
    """
    CREATE TRIGGER ledger_posting_with_its_transaction
        BEFORE INSERT ON ledger_posting
        FOR EACH ROW EXECUTE FUNCTION ledger_posting_with_its_transaction();
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
        AFTER INSERT ON ledger_journaltransaction DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced();
    """,
]

# Rows updated on every posting leave room on their page for the new version, so updates
# stay HOT (no index entries, no page splits). Applied once, by the migration.
PG_STORAGE = [
    f"ALTER TABLE {table} SET (fillfactor = 50);"
    for table in ("ledger_chainhead", "ledger_account", "ledger_monthlytotal")
]

_PG_DROP = [
    "DROP TRIGGER IF EXISTS ledger_posting_with_its_transaction ON ledger_posting;",
    "DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_journaltransaction;",
]


def append_only_statements(vendor: str, tables=APPEND_ONLY_TABLES) -> list[str]:
    """Triggers refusing UPDATE and DELETE on ``tables`` (PostgreSQL needs the function
    that ``install_statements`` creates)."""
    if vendor == "postgresql":
        return [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();"
            for table in tables
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: {op} on {table} "
            "refused'); END;"
            for table in tables
            for op in ("UPDATE", "DELETE")
        ]
    return []


def truncate_guard_statements(vendor: str, tables=APPEND_ONLY_TABLES) -> list[str]:
    """PostgreSQL: refuse TRUNCATE, which row-level triggers never see. (SQLite has none.)"""
    if vendor != "postgresql":
        return []
    return [
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();"
        for table in tables
    ]


def truncate_guard_drop_statements(vendor: str, tables=APPEND_ONLY_TABLES) -> list[str]:
    if vendor != "postgresql":
        return []
    return [f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};" for table in tables]


def append_only_drop_statements(vendor: str, tables) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in tables]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()};"
            for table in tables
            for op in ("UPDATE", "DELETE")
        ]
    return []


def install_statements(vendor: str, tables=APPEND_ONLY_TABLES) -> list[str]:
    base = _PG_INSTALL if vendor == "postgresql" else []
    return base + append_only_statements(vendor, tables) + truncate_guard_statements(vendor, tables)


def drop_statements(vendor: str, tables=APPEND_ONLY_TABLES) -> list[str]:
    """For migrations going backwards and for tests that prove what happens without them."""
    base = _PG_DROP if vendor == "postgresql" else []
    return (
        truncate_guard_drop_statements(vendor, tables)
        + append_only_drop_statements(vendor, tables)
        + base
    )


def install(connection, tables=APPEND_ONLY_TABLES) -> None:
    with connection.cursor() as cursor:
        for statement in install_statements(connection.vendor, tables):
            cursor.execute(statement)


def drop(connection, tables=APPEND_ONLY_TABLES) -> None:
    with connection.cursor() as cursor:
        for statement in drop_statements(connection.vendor, tables):
            cursor.execute(statement)
