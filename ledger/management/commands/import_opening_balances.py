import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ledger.books.opening import OpeningBalancesError, opening_balances_post, parse_trial_balance
from ledger.exceptions import InvalidEntry


class Command(BaseCommand):
    help = (
        "Open the books from a trial balance (CSV: account, debit, credit), once "
        "(docs/ledger.md, 'Opening balances')."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--date", required=True, help="YYYY-MM-DD: the day the balances hold")
        parser.add_argument("--as", dest="username", help="the staff member bringing them in")

    def handle(self, *args, **options):
        try:
            date = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError("--date is YYYY-MM-DD.") from None
        actor = None
        if options["username"]:
            actor = get_user_model().objects.filter(username=options["username"]).first()
            if actor is None:
                raise CommandError(f"There is no user {options['username']!r}.")
        try:
            text = options["file"].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Could not read {options['file']}: {error}") from None
        try:
            txn = opening_balances_post(legs=parse_trial_balance(text), date=date, actor=actor)
        except (OpeningBalancesError, InvalidEntry) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"opening balances posted as #{txn.sequence} on {txn.date:%Y-%m-%d}")
