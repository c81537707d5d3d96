"""House rules that hold because a test reads the source tree, not because people remember.

1. Only ledger.services writes ledger rows.
2. Only donations/stripe_gateway.py imports stripe.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_DIRS = ("config", "ledger", "donations")
LEDGER_MODELS = "JournalTransaction|Posting|Account|MonthlyTotal|ChainHead|Checkpoint|AuditEvent"
WRITE = re.compile(
    rf"\b({LEDGER_MODELS})\.objects\b[^\n]*\.(create|bulk_create|update|delete|get_or_create|"
    rf"update_or_create|bulk_update)\(|\b({LEDGER_MODELS})\([^)]*\)\.save\(|"
    r"(INSERT INTO|UPDATE|DELETE FROM) ledger_"
)


def _app_sources():
    for directory in APP_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            yield path


def test_only_the_ledger_services_write_ledger_rows():
    allowed = {ROOT / "ledger" / "services.py", ROOT / "ledger" / "chart.py"}
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _app_sources()
        if path not in allowed
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if WRITE.search(line)
    ]
    assert offenders == []


def test_the_rule_checker_sees_a_write():
    assert WRITE.search("Posting.objects.filter(pk=1).update(amount=2)")
    assert WRITE.search('cursor.execute("UPDATE ledger_account SET balance = 0")')
    assert not WRITE.search("Posting.objects.filter(pk=1).values_list('amount')")


def test_only_the_stripe_gateway_imports_stripe():
    pattern = re.compile(r"^\s*(import stripe\b|from stripe\b)", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in _app_sources()
        if path != ROOT / "donations" / "stripe_gateway.py" and pattern.search(path.read_text())
    ]
    assert offenders == []


def test_the_stripe_sandbox_does_not_import_stripe_either():
    pattern = re.compile(r"^\s*(import stripe\b|from stripe\b)", re.MULTILINE)
    sandbox = ROOT / "stripe_sandbox"
    offenders = [str(p) for p in sandbox.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
