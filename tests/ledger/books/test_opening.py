"""Opening balances come in once, from a trial balance, as one balanced entry; a bad file
is refused naming its line and posts nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from ledger.books.opening import OpeningBalancesError, opening_balances_post, parse_trial_balance
from ledger.books.selectors import account_balances
from ledger.books.verification import verify_ledger
from ledger.models import AuditEvent, JournalTransaction

pytestmark = pytest.mark.django_db

TRIAL_BALANCE = (
    "account,debit,credit\n"
    'assets:bank,"12,000.00",\n'
    "assets:bail_outstanding,30000,\n"
    "assets:cash,150.25,\n"
)
OPENED = dt.date(2026, 1, 1)


def test_a_trial_balance_opens_the_books_once_balanced_to_net_assets(tmp_path, capsys):
    path = tmp_path / "tb.csv"
    path.write_text(TRIAL_BALANCE)
    call_command("import_opening_balances", str(path), "--date", "2026-01-01")

    assert "opening balances posted as #1 on 2026-01-01" in capsys.readouterr().out
    books = account_balances()
    assert books["assets:bank"] == 1_200_000
    assert books["assets:bail_outstanding"] == 3_000_000
    assert books["assets:cash"] == 15_025
    assert books["net_assets:opening_balance"] == -4_215_025
    entry = JournalTransaction.objects.get()
    assert (entry.kind, entry.date) == ("opening", OPENED)
    assert AuditEvent.objects.filter(action="ledger.opening_balances").exists()
    assert verify_ledger().ok

    with pytest.raises(CommandError, match="already have opening balances"):
        call_command("import_opening_balances", str(path), "--date", "2026-01-01")
    assert JournalTransaction.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,amount\nassets:bank,5\n", "must name the columns"),
        ("account,amount\nassets:vault,5\n", "Line 2: there is no account 'assets:vault'"),
        ("account,amount\nincome:donations,-5\n", "Line 2: income:donations is an income account"),
        ("account,debit,credit\nassets:bank,1,25,\n", "Line 2: more values than columns"),
        (
            'account,debit,credit\nassets:bank,"1,25",\n',
            "Line 2: We could not tell what 1,25 means",
        ),
        ("account,amount\nassets:bank,5\nassets:bank,6\n", "Line 3: assets:bank is listed twice"),
        (
            "account,debit,credit\nassets:bank,100,\nnet_assets:opening_balance,,90\n",
            "does not balance: debits exceed credits by 1000",
        ),
        ("account,amount\n", "no balances"),
    ],
)
def test_a_bad_trial_balance_is_refused_and_posts_nothing(text, message):
    with pytest.raises(OpeningBalancesError, match=message):
        opening_balances_post(legs=parse_trial_balance(text), date=OPENED)
    assert JournalTransaction.objects.count() == 0


def test_an_admin_brings_them_in_on_the_staff_page(staff_client):
    admin = staff_client("admin")
    assert "Post the opening balances" in admin.get("/staff/opening-balances/").content.decode()
    upload = SimpleUploadedFile("tb.csv", TRIAL_BALANCE.encode(), content_type="text/csv")

    unconfirmed = admin.post(
        "/staff/opening-balances/", {"trial_balance": upload, "date": "2026-01-01"}
    )
    assert unconfirmed.status_code == 400 and not JournalTransaction.objects.exists()

    upload.seek(0)
    done = admin.post(
        "/staff/opening-balances/",
        {"trial_balance": upload, "date": "2026-01-01", "confirm": "on"},
    )
    assert done.status_code == 303
    page = admin.get("/staff/opening-balances/").content.decode()
    assert "took their opening balances on 2026-01-01 (entry #1)" in page
    assert staff_client("bookkeeper").get("/staff/opening-balances/").status_code == 403


def test_the_file_reads_the_same_from_a_spanish_page():
    text = 'account,amount\nassets:bank,"1,250.50"\nassets:cash,1250.50\n'

    with translation.override("es"):
        legs = parse_trial_balance(text)

    assert legs == [("assets:bank", 125_050), ("assets:cash", 125_050)]
