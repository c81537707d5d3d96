"""Database triggers that make the journal append-only and balanced without Python.

Installed by migration ``0003_triggers``. On both databases, UPDATE and DELETE of journal
transactions, postings, checkpoints and audit events are refused. On PostgreSQL, a deferred
constraint trigger also rejects, at commit, a transaction whose legs do not sum to zero or
that has fewer than two legs, however the rows were inserted; and legs added later to a
transaction committed earlier are refused when their statement ends unless they balance.

Triggers stop mistakes and casual tampering by the application. A database superuser can
drop them, which is why the hash chain exists, and why production should also
``REVOKE UPDATE, DELETE, TRUNCATE`` on these tables from the application's role
(docs/ledger.md).
"""

from __future__ import annotations

APPEND_ONLY_TABLES = (
    "ledger_journaltransaction",
    "ledger_posting",
    "ledger_checkpoint",
    "ledger_auditevent",
)

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
    # Legs added by one statement are checked when it ends, in one set-based query, for
    # transactions committed earlier; those created in this database transaction are
    # checked at commit by the deferred trigger below, once each.
    """
    CREATE OR REPLACE FUNCTION ledger_postings_balanced() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        bad bigint;
    BEGIN
        SELECT n.transaction_id INTO bad
          FROM (SELECT DISTINCT transaction_id FROM new_postings) n
          JOIN ledger_journaltransaction t ON t.id = n.transaction_id
         WHERE NOT (t.xmin = pg_current_xact_id()::xid)
           AND (SELECT COALESCE(SUM(p.amount), 0) FROM ledger_posting p
                 WHERE p.transaction_id = n.transaction_id) <> 0
         LIMIT 1;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'ledger transaction % is unbalanced', bad
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
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
    CREATE TRIGGER ledger_posting_balanced
        AFTER INSERT ON ledger_posting REFERENCING NEW TABLE AS new_postings
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_balanced();
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
        AFTER INSERT ON ledger_journaltransaction DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced();
    """,
] + [
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();"
    for table in APPEND_ONLY_TABLES
]

_PG_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in APPEND_ONLY_TABLES
] + [
    "DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting;",
    "DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_journaltransaction;",
]

_SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: {op} on {table} refused'); END;"
    for table in APPEND_ONLY_TABLES
    for op in ("UPDATE", "DELETE")
]

_SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()};"
    for table in APPEND_ONLY_TABLES
    for op in ("UPDATE", "DELETE")
]


def install_statements(vendor: str) -> list[str]:
    return {"postgresql": _PG_INSTALL, "sqlite": _SQLITE_INSTALL}.get(vendor, [])


def drop_statements(vendor: str) -> list[str]:
    """For migrations going backwards and for tests that prove what happens without them."""
    return {"postgresql": _PG_DROP, "sqlite": _SQLITE_DROP}.get(vendor, [])


def install(connection) -> None:
    with connection.cursor() as cursor:
        for statement in install_statements(connection.vendor):
            cursor.execute(statement)


def drop(connection) -> None:
    with connection.cursor() as cursor:
        for statement in drop_statements(connection.vendor):
            cursor.execute(statement)
