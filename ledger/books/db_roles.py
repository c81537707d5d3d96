"""Two PostgreSQL roles: the owner, which migrations run as, and the application's role.

The web, worker and beat processes connect as the application's role (``DATABASE_URL``).
It owns nothing: on the append-only tables (``ledger.books.db_triggers``) it may only read
and insert, so it can neither rewrite, delete nor truncate the books, nor disable or drop
their triggers, which only an owner can. Migrations connect as the owner
(``DATABASE_OWNER_URL``, ``manage.py migrate --database owner``) and, when they finish,
grant the application's role what it needs here (``ledger.apps``). ``check --deploy``
refuses a setup where the application's role could do more (``ledger.checks``).
"""

from __future__ import annotations

from ledger.books.db_triggers import APPEND_ONLY_TABLES

# What the application's role may do on its tables, and what it never may on the books.
APP_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
REFUSED_ON_BOOKS = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER")


def grant_statements(app_role: str, schema: str, quote) -> list[str]:
    """Grants that leave ``app_role`` exactly its rights in ``schema`` (``quote`` quotes an
    identifier). Everything is revoked first, so a role that once had more loses it."""
    role, schema = quote(app_role), quote(schema)
    books = ", ".join(quote(table) for table in APPEND_ONLY_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"GRANT {APP_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"REVOKE UPDATE, DELETE ON {books} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    ]


def grant_app_role(connection, app_role: str) -> None:
    """Run as the owner, in the database just migrated."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        for statement in grant_statements(app_role, schema, connection.ops.quote_name):
            cursor.execute(statement)


_ROLE_SQL = """
SELECT current_user, r.rolsuper, r.rolbypassrls,
       pg_has_role(current_user, n.nspowner, 'MEMBER'),
       pg_has_role(current_user, d.datdba, 'MEMBER')
  FROM pg_roles r, pg_namespace n, pg_database d
 WHERE r.rolname = current_user AND n.nspname = current_schema()
   AND d.datname = current_database()
"""

_TABLE_SQL = """
SELECT c.relname, pg_get_userbyid(c.relowner), pg_has_role(current_user, c.relowner, 'MEMBER'),
       has_table_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE'),
       has_table_privilege(c.oid, 'TRUNCATE'), has_table_privilege(c.oid, 'TRIGGER')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY(%s)
 ORDER BY c.relname
"""


def role_problems(cursor) -> list[str]:
    """What the role ``cursor`` connects as could do to the books unseen; empty when it is
    a proper application role. Tables not created yet are not judged."""
    cursor.execute(_ROLE_SQL)
    user, superuser, bypass_rls, owns_schema, owns_database = cursor.fetchone()
    problems = []
    if superuser:
        problems.append(f"the role {user} is a superuser: it can drop the books' triggers")
    if bypass_rls:
        problems.append(f"the role {user} bypasses row-level security")
    if owns_schema:
        problems.append(
            f"the role {user} owns, or may act as the owner of, the schema: it can drop "
            "the books' tables"
        )
    if owns_database:
        problems.append(
            f"the role {user} owns, or may act as the owner of, the database: it can drop "
            "the books' tables"
        )
    cursor.execute(_TABLE_SQL, [list(APPEND_ONLY_TABLES)])
    for table, owner, acts_as_owner, *rights in cursor.fetchall():
        if acts_as_owner:
            problems.append(
                f"the role {user} owns, or may act as the owner of, {table} (owned by "
                f"{owner}): it can disable the table's triggers"
            )
        granted = [name for name, held in zip(REFUSED_ON_BOOKS, rights, strict=True) if held]
        if granted:
            problems.append(f"the role {user} may {', '.join(granted)} {table}")
    return problems
