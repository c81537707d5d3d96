"""manage.py import_bank_statement FILE --format csv|ofx|camt053 [--account assets:bank]
[--mapping NAME] [--closing-balance AMOUNT] [--period-end YYYY-MM-DD]"""

import argparse
import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from donations.bank.importing import books_account, csv_mapping, statement_import
from donations.bank.parsing import MAX_FILE_BYTES, to_minor
from donations.exceptions import InvalidBankStatement
from donations.models import StatementFormat
from ledger.books.chart import BANK


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount like 1234.56") from None


class Command(BaseCommand):
    help = (
        "Import a bank statement (CSV with a saved mapping, OFX or CAMT.053) for a books "
        "account, and propose matches with its entries. The same statement again changes "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The statement file.")
        parser.add_argument("--format", required=True, choices=StatementFormat.values)
        parser.add_argument("--account", default=BANK, help=f"The books account ({BANK}).")
        parser.add_argument("--mapping", help="The saved CSV mapping (CSV only).")
        parser.add_argument(
            "--closing-balance",
            type=_amount,
            help="The statement's closing balance, for a CSV file without a balance column.",
        )
        parser.add_argument(
            "--period-end",
            type=dt.date.fromisoformat,
            help="YYYY-MM-DD: the statement's end date, when after its last line (CSV).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MB.")
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path} cannot be read: {error.strerror or error}") from None
        fmt = options["format"]
        closing = options["closing_balance"]
        try:
            if options["mapping"] and fmt != StatementFormat.CSV:
                raise InvalidBankStatement("--mapping is for CSV files only.")
            mapping = csv_mapping(options["mapping"]) if fmt == StatementFormat.CSV else None
            currency = books_account(options["account"]).currency.lower()
            imported = statement_import(
                actor=None,
                data=data,
                fmt=fmt,
                account_code=options["account"],
                mapping=mapping,
                closing_balance=(
                    None if closing is None else to_minor(closing, currency, "--closing-balance")
                ),
                period_end=options["period_end"],
                file_name=path.name,
            )
        except InvalidBankStatement as error:
            raise CommandError(f"{path.name}: {error} Nothing was imported.") from None
        self.stdout.write(imported.summary())
