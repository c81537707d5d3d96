import csv
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from ledger.books.exports import beancount_account, write_csv
from ledger.books.posting import transaction_post, transaction_reverse
from ledger.books.selectors import ledger_head
from ledger.books.tree_heads import checkpoint_create

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def small_fund(post):
    post(
        [("assets:stripe", 9680), ("expenses:processing_fees", 320), ("income:donations", -10000)],
        kind="donation",
        memo='A "quoted" memo, with commas',
    )  # noqa: E501
    post([("assets:bank", 9000), ("assets:stripe", -9000)], kind="payout", date=dt.date(2026, 4, 2))  # noqa: E501
    paid = post(
        [("assets:bail_outstanding", 5000), ("assets:bank", -5000)],
        kind="disbursement",
        memo="Bail paid — café ñ",
    )  # noqa: E501
    transaction_reverse(transaction_to_reverse=paid, date=dt.date(2026, 4, 3))
    checkpoint_create()
    post([("assets:cash", 2000), ("income:donations", -2000)], kind="offline_gift")


def test_the_csv_has_one_row_per_posting_with_the_fields_the_hash_covers(small_fund):
    out = io.StringIO()
    assert write_csv(out) == 5
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))

    assert len(rows) == 3 + 2 + 2 + 2 + 2
    assert rows[0]["memo"] == 'A "quoted" memo, with commas'
    assert rows[0]["amount_decimal"] in {"96.80", "3.20", "-100.00"}
    reversal = [row for row in rows if row["kind"] == "reversal"]
    assert {row["reverses"] for row in reversal} == {"3"}


def test_an_outside_verifier_recomputes_the_published_head_from_the_csv(small_fund, tmp_path):
    export = tmp_path / "journal.csv"
    call_command("export_ledger", "--format", "csv", "--output", str(export))
    sequence, head = ledger_head()

    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "docs" / "verify_export.py"),
            str(export),
            "--expect-head",
            head,
        ],  # noqa: E501
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert f"OK: {sequence} transactions, head #{sequence} {head}" in result.stdout


def test_the_outside_verifier_catches_an_edited_export(small_fund, tmp_path):
    export = tmp_path / "journal.csv"
    call_command("export_ledger", "--format", "csv", "--output", str(export))
    text = export.read_text().replace(",assets:bank,9000,", ",assets:bank,9100,", 1)
    text = text.replace(",assets:stripe,-9000,", ",assets:stripe,-9100,", 1)
    export.write_text(text)

    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "verify_export.py"), str(export)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "#2 hash does not recompute" in result.stdout


def test_the_beancount_export_passes_bean_check(small_fund, tmp_path):
    export = tmp_path / "journal.beancount"
    call_command("export_ledger", "--format", "beancount", "--output", str(export))
    text = export.read_text()
    assert "Assets:BailOutstanding" in text
    assert '\\"quoted\\"' in text

    bean_check = Path(sys.executable).with_name("bean-check")
    result = subprocess.run(
        [str(bean_check), str(export)], capture_output=True, text=True, check=False
    )  # noqa: E501
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_empty_ledger_exports_a_valid_beancount_file(tmp_path):
    export = tmp_path / "empty.beancount"
    call_command("export_ledger", "--format", "beancount", "--output", str(export))
    bean_check = Path(sys.executable).with_name("bean-check")
    result = subprocess.run(
        [str(bean_check), str(export)], capture_output=True, text=True, check=False
    )  # noqa: E501
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("code", "type_", "expected"),
    [
        ("assets:bail_outstanding", "asset", "Assets:BailOutstanding"),
        ("net_assets:opening_balance", "net_assets", "Equity:OpeningBalance"),
        ("income:donations_refunded", "income", "Income:DonationsRefunded"),
        ("expenses:processing_fees", "expense", "Expenses:ProcessingFees"),
    ],
)
def test_account_codes_become_beancount_names(code, type_, expected):
    assert beancount_account(code, type_) == expected


def test_memos_never_leave_the_posting_service_with_an_email_address():
    from ledger.exceptions import PersonalDataInMemo

    with pytest.raises(PersonalDataInMemo):
        transaction_post(
            kind="offline_gift",
            date=dt.date(2026, 1, 1),
            legs=[("assets:bank", 100), ("income:donations", -100)],
            idempotency_key="offline:x",
            memo="check from ana.lopez@example.org",
        )
