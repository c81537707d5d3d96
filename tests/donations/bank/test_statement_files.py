"""Reading statements: a US bank's CSV export with its saved mapping, an OFX 2.2 file and a
CAMT.053 file give the same month; a file that cannot be read whole is refused with the
line named, and nothing is stored."""

import datetime as dt

import pytest

from donations.bank.camt053 import parse_camt053
from donations.bank.csv_reader import parse_csv
from donations.bank.importing import statement_import
from donations.bank.ofx_reader import parse_ofx
from donations.exceptions import InvalidBankStatement
from donations.models import BankCsvMapping, BankStatement, BankStatementLine, Discrepancy
from ledger.models import AuditEvent
from tests.donations.bank.conftest import day, statement_file

pytestmark = pytest.mark.django_db

# The month every sample statement describes: (date, amount in cents), oldest first.
MARCH_LINES = [
    (day(5), 25_000),
    (day(6), -150_000),
    (day(10), 245_010),
    (day(23), 120_000),
    (day(31), -1_200),
]


def _lines(parsed):
    return [(line.posted_on, line.amount) for line in parsed.lines]


def test_a_us_bank_csv_export_is_read_with_its_mapping(chase_mapping):
    parsed = parse_csv(statement_file("chase_march_2026.csv"), chase_mapping, currency="usd")

    # Newest first in the file, oldest first once read: the balances say which way.
    assert _lines(parsed) == MARCH_LINES
    assert (parsed.opening_balance, parsed.closing_balance) == (1_000_000, 1_238_810)
    assert (parsed.period_start, parsed.period_end) == (day(5), day(31))
    check = parsed.lines[1]
    assert (check.check_number, check.description, check.position) == ("1042", "CHECK 1042", 5)


def test_an_ofx_statement_is_read_with_its_bank_references():
    parsed = parse_ofx(statement_file("march_2026.ofx"))

    assert _lines(parsed) == MARCH_LINES
    assert parsed.currency == "usd" and parsed.closing_balance == 1_238_810
    assert (parsed.period_start, parsed.period_end) == (day(1), day(31))
    assert parsed.bank_account == "6789"  # the account's last four only
    assert [line.bank_reference for line in parsed.lines][:2] == ["20260305-0001", "20260306-0001"]
    assert parsed.lines[1].check_number == "1042"


def test_a_camt053_statement_is_read_whatever_its_namespace():
    data = statement_file("march_2026.camt053.xml")
    newer = data.replace(b"camt.053.001.02", b"camt.053.001.08")

    for parsed in (parse_camt053(data), parse_camt053(newer)):
        # The pending entry is not in the closing booked balance, so it is not a line.
        assert _lines(parsed) == MARCH_LINES
        assert (parsed.opening_balance, parsed.closing_balance) == (1_000_000, 1_238_810)
        assert parsed.bank_statement_id == "2026-03-000123456789"
        payout = parsed.lines[2]
        assert payout.bank_reference == "FCB260310000022"
        assert "po_1PzX7Y8Z9" in payout.reference and "STRIPE" in payout.description
        assert parsed.lines[1].check_number == "1042"
        assert parsed.lines[3].reference == "HENNEPIN COUNTY DISTRICT COURT BAIL REFUND"


def _refused(fmt: str, data: bytes, match: str, **kwargs) -> None:
    """Importing ``data`` is refused with ``match`` in the message, and nothing is stored."""
    with pytest.raises(InvalidBankStatement, match=match):
        statement_import(actor=None, data=data, fmt=fmt, **kwargs)
    assert BankStatement.objects.count() == BankStatementLine.objects.count() == 0
    assert not Discrepancy.objects.exists()
    assert not AuditEvent.objects.filter(action="bank_statement.imported").exists()


CSV = statement_file("chase_march_2026.csv")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ((b"03/23/2026", b"23/03/2026"), r"^Line 3: '23/03/2026' is not a date written MM/DD/YYYY"),
        ((b"2450.10,ACH", b"2450.1O,ACH"), r"^Line 4: the amount '2450.1O' is not written like"),
        ((b"-1500.00", b"-1500.001"), r"^Line 5: the amount 1500.001 has more than 2 decimals"),
        # A balance that does not follow the amounts: a mapping reading debits as credits.
        ((b"8750.00", b"8570.00"), r"^Line \d: its balance is not the balance before it"),
        ((b"Posting Date", b"Post Date"), r"no date column 'Posting Date' \(its columns: "),
        ((b"\r\nDSLIP", b'\r\n"DSLIP'), r"^Line 6: it is not CSV that can be read"),
    ],
)
def test_a_csv_that_does_not_read_is_refused_naming_the_line(chase_mapping, change, message):
    _refused("csv", CSV.replace(*change), message, mapping=chase_mapping)


def test_a_csv_without_balances_needs_the_closing_balance(chase_mapping):
    BankCsvMapping.objects.filter(pk=chase_mapping.pk).update(balance_column="")
    chase_mapping.refresh_from_db()

    _refused(
        "csv", CSV, "gives no balances: give the statement's closing balance", mapping=chase_mapping
    )

    imported = statement_import(
        actor=None, data=CSV, fmt="csv", mapping=chase_mapping, closing_balance=1_238_810
    )
    assert imported.statement.opening_balance == 1_000_000


OFX = statement_file("march_2026.ofx")
CAMT = statement_file("march_2026.camt053.xml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (OFX[: len(OFX) // 2], "not an OFX (file|statement) that can be read"),
        (
            OFX.replace(b"<TRNAMT>2450.10</TRNAMT>", b"<TRNAMT>24,50.10</TRNAMT>"),
            r"^Transaction 3 \(FITID 20260310-0001\): it breaks the OFX specification",
        ),
        (
            OFX[: OFX.index(b"<LEDGERBAL>")] + OFX[OFX.index(b"<AVAILBAL>") :],
            "STMTRS.ledgerbal to None",
        ),
        (b"ID,Date,Amount\n1,2026-03-01,5.00\n", "not an OFX file that can be read"),
        (
            OFX.replace(b"<DTPOSTED>20260310</DTPOSTED>", b"<DTPOSTED>20261310</DTPOSTED>"),
            r"^Transaction 3 \(FITID 20260310-0001\): .*20261310",
        ),
    ],
)
def test_a_malformed_ofx_file_is_refused_and_nothing_is_stored(data, message):
    _refused("ofx", data, message)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (CAMT[:-300], r"^Line \d+, column \d+: this is not XML that can be read"),
        (CAMT.replace(b"BkToCstmrStmt>", b"BkToCstmrDbtCdtNtfctn>"), "not a CAMT.053 statement"),
        (
            CAMT.replace(b"<Cd>CLBD</Cd>", b"<Cd>CLAV</Cd>"),
            r"no closing booked balance \(Bal CLBD\)",
        ),
        (CAMT.replace(b'<Amt Ccy="USD">12.00', b'<Amt Ccy="USD">21.00'), "do not add up"),
        (
            CAMT.replace(
                b"12.00</Amt>\n        <CdtDbtInd>DBIT", b"12.00</Amt>\n        <CdtDbtInd>DEBIT"
            ),
            r"^Entry 5 \(FCB260331000001\): its credit or debit indicator is 'DEBIT'",
        ),
        (
            CAMT.replace(b"<Dt>2026-03-23</Dt></BookgDt>", b"<Dt>2026-02-30</Dt></BookgDt>"),
            r"^Entry 4 \(FCB260323000009\): the booking date '2026-02-30' is not a date",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]><Document>&a;</Document>',
            "declares a document type or entities",
        ),
    ],
)
def test_a_malformed_camt053_file_is_refused_naming_the_entry(data, message):
    _refused("camt053", data, message)


def test_a_statement_in_another_currency_than_the_account_is_refused():
    _refused("ofx", OFX.replace(b"<CURDEF>USD</CURDEF>", b"<CURDEF>EUR</CURDEF>"), "is in EUR")


def test_only_an_asset_account_of_the_books_can_be_reconciled():
    _refused("ofx", OFX, "is not an asset account", account_code="income:donations")


def test_dates_are_the_banks_own_days_whatever_the_fund_time_zone(settings):
    settings.FUND_TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: 10 March 23:00 there is the 11th
    parsed = parse_ofx(OFX.replace(b"20260310</DTPOSTED>", b"20260310230000[-6:CST]</DTPOSTED>"))
    assert parsed.lines[2].posted_on == dt.date(2026, 3, 10)
