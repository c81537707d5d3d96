from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ledger.books.closed_periods import PeriodKind
from ledger.books.periods import month_end, period_close
from ledger.exceptions import PeriodNotClosable


class Command(BaseCommand):
    help = (
        "Close the books through a month (--month YYYY-MM) or a year (--year YYYY): "
        "nothing dated in it can be posted afterwards (docs/ledger.md, 'Closing a period')."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--month", help="YYYY-MM")
        which.add_argument("--year", type=int, help="YYYY")
        parser.add_argument("--as", dest="username", help="the staff member closing it")

    def handle(self, *args, **options):
        actor = None
        if options["username"]:
            actor = get_user_model().objects.filter(username=options["username"]).first()
            if actor is None:
                raise CommandError(f"There is no user {options['username']!r}.")
        if options["month"]:
            try:
                year, month = (int(part) for part in options["month"].split("-"))
                through = month_end(year, month)
            except ValueError:
                raise CommandError("--month is YYYY-MM, for example 2026-03.") from None
            kind = PeriodKind.MONTH
        else:
            through, kind = month_end(options["year"], 12), PeriodKind.YEAR
        try:
            closed = period_close(through=through, kind=kind, actor=actor)
        except PeriodNotClosable as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"closed {closed.kind} through {closed.through:%Y-%m-%d}; signed head "
            f"#{closed.checkpoint.sequence}"
        )
