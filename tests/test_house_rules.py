"""House rules that hold because a test parses the source tree, not because people remember.

1. Layers: ``config`` wires the apps; ``donations`` may use ``ledger``; ``ledger`` never
   imports ``donations`` or ``config``; no app imports ``config`` (it imports them); and
   nothing in product code imports the Stripe imitation (``stripe_sandbox``).
2. One door to the books: only ``ledger.books.posting`` (with its PostgreSQL fast path,
   ``ledger.books.postgres``) writes ledger rows; ``ledger.books.chart`` creates accounts.
3. One door to Stripe: only ``donations/stripe_gateway.py`` imports ``stripe``, and the
   imitation never does.

Imports and writes are read from the syntax tree, so an import inside a function, a
queryset split over several lines and an SQL statement built in an f-string all count.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("config", "ledger", "donations")
LEDGER_MODELS = frozenset(
    {"Account", "AuditEvent", "ChainHead", "Checkpoint", "JournalTransaction", "MonthlyTotal"}
    | {"Posting"}
)
LEDGER_TABLES = "|".join(
    ("account", "auditevent", "chainhead", "checkpoint", "journaltransaction", "monthlytotal")
    + ("posting",)
)
WRITE_METHODS = frozenset(
    {"create", "bulk_create", "bulk_update", "update", "delete", "get_or_create"}
    | {"update_or_create", "save"}
)
WRITE_SQL = re.compile(
    rf"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?ledger_({LEDGER_TABLES})\b",
    re.IGNORECASE,
)
# The books' services: posting (and its PostgreSQL path), the chart, the audit log's chain
# and the signed tree heads, each writing under the books' lock.
BOOKS_DOORS = {
    "ledger/books/posting.py",
    "ledger/books/postgres.py",
    "ledger/books/chart.py",
    "ledger/books/audit_chain.py",
    "ledger/books/tree_heads.py",
    "ledger/books/periods.py",
}
STRIPE_DOOR = "donations/stripe_gateway.py"


def sources(*folders: str, migrations: bool = True):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if migrations or "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def imported_modules(tree: ast.AST, module: str) -> set[str]:
    """Every module an import statement anywhere in the tree names, relative ones resolved."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = [node.module] if node.module else []
            if node.level:
                above = package.split(".")
                parts = above[: len(above) - node.level + 1] + parts
            base = ".".join(parts)
            found.update([base] if base else [])
            found.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return found


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def layering_offences(path: str, tree: ast.AST) -> list[str]:
    module = path.removesuffix(".py").replace("/", ".")
    layer = _top(module)
    forbidden = {"stripe_sandbox"}
    if layer in ("ledger", "donations"):
        forbidden.add("config")
    if layer == "ledger":
        forbidden.add("donations")
    return sorted(
        f"{path} imports {name}"
        for name in imported_modules(tree, module)
        if _top(name) in forbidden
    )


def _root_of(node: ast.AST) -> tuple[ast.AST, list[str]]:
    """The start of a chain like ``Posting.objects.filter(...).update`` and the attribute
    names along the way."""
    names: list[str] = []
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            node = node.value
    return node, names


def _sql_text(node: ast.AST) -> str | None:
    """A string's text; in an f-string, an expression naming a ledger model (its
    ``_meta.db_table``) reads as a ledger table."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value
            if isinstance(part, ast.Constant)
            else "ledger_posting"
            if any(isinstance(n, ast.Name) and n.id in LEDGER_MODELS for n in ast.walk(part))
            else "{}"
            for part in node.values
        )
    return None


def books_writes(path: str, tree: ast.AST) -> list[str]:
    """Lines that write ledger rows through the ORM or in SQL."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            root, names = _root_of(node.func.value)
            through_manager = "objects" in names or "_default_manager" in names
            constructed = isinstance(node.func.value, ast.Call) and not names
            if (
                node.func.attr in WRITE_METHODS
                and isinstance(root, ast.Name)
                and root.id in LEDGER_MODELS
                and (through_manager or constructed)
            ):
                found.append(f"{path}:{node.lineno}")
        text = _sql_text(node)
        if text and WRITE_SQL.search(text):
            found.append(f"{path}:{node.lineno}")
    return found


def stripe_imports(path: str, tree: ast.AST) -> bool:
    module = path.removesuffix(".py").replace("/", ".")
    return any(_top(name) == "stripe" for name in imported_modules(tree, module))


def test_the_layers_hold():
    offences = [
        offence for path, tree in sources(*APPS) for offence in layering_offences(path, tree)
    ]
    assert offences == []


def test_only_the_books_service_writes_ledger_rows():
    offenders = [
        line
        for path, tree in sources(*APPS, migrations=False)
        if path not in BOOKS_DOORS
        for line in books_writes(path, tree)
    ]
    assert offenders == []


def test_only_the_stripe_gateway_imports_stripe():
    offenders = [
        path for path, tree in sources(*APPS) if path != STRIPE_DOOR and stripe_imports(path, tree)
    ]
    assert offenders == []


def test_the_stripe_imitation_does_not_import_stripe_or_django_either():
    trees = list(sources("stripe_sandbox"))
    assert trees, "the imitation's sources were not found"
    offenders = [
        path
        for path, tree in trees
        for name in imported_modules(tree, path.removesuffix(".py").replace("/", "."))
        if _top(name) in ("stripe", "django", "config", "ledger", "donations")
    ]
    assert offenders == []


# The checkers themselves: each sees what a line-by-line pattern would miss.


@pytest.mark.parametrize(
    "code",
    [
        "Posting.objects.filter(pk=1).update(amount=2)",
        "(Posting.objects\n    .filter(pk=1)\n    .delete())",
        "JournalTransaction(sequence=1).save()",
        "Account._default_manager.bulk_create(rows)",
        'cursor.execute("UPDATE ledger_account SET balance = 0")',
        'cursor.execute(\n    "INSERT INTO "\n    "ledger_posting (amount) VALUES (1)"\n)',
        'cursor.execute(f"DELETE FROM {Posting._meta.db_table} WHERE id = %s", [1])',
    ],
)
def test_the_books_checker_sees_a_write(code):
    assert books_writes("x.py", ast.parse(code))


@pytest.mark.parametrize(
    "code",
    [
        "Posting.objects.filter(pk=1).values_list('amount')",
        "Donation.objects.filter(pk=1).update(status='paid')",
        'cursor.execute("SELECT * FROM ledger_posting")',
        "message = 'We update the account page'",
        'cursor.execute(f"UPDATE {StripeEvent._meta.db_table} SET status = %s", ["done"])',
    ],
)
def test_the_books_checker_passes_a_read(code):
    assert books_writes("x.py", ast.parse(code)) == []


def test_the_layer_checker_sees_an_import_inside_a_function():
    tree = ast.parse("def f():\n    from donations.wall import wall_entries\n")
    offences = layering_offences("ledger/public/page.py", tree)
    assert offences and all("imports donations" in offence for offence in offences)
    assert layering_offences("donations/page.py", tree) == []


def test_the_layer_checker_resolves_relative_imports():
    tree = ast.parse("from ..models import Donation\n")
    assert imported_modules(tree, "donations.intake.views") >= {"donations.models"}
    assert layering_offences("ledger/books/x.py", ast.parse("from ... import config\n"))
