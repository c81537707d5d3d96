"""Donors' year-end statements for a tax year: counts (a dry run), or send them.

manage.py donor_statements --year 2026           # counts only; writes nothing
manage.py donor_statements --year 2026 --send    # start or resume the run, here
manage.py donor_statements --year 2026 --send --queue   # hand it to a worker
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from donations.statements.sending import preview, run_send
from ledger.books.fund_time import fund_today
from ledger.books.money import format_money


class Command(BaseCommand):
    help = "Count, or send, donors' year-end statements for a tax year."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--send", action="store_true", help="Start or resume the run.")
        parser.add_argument(
            "--queue", action="store_true", help="With --send: run it on a Celery worker."
        )

    def handle(self, *args, year: int, send: bool, queue: bool, **options):
        if not 2000 <= year <= fund_today().year:
            raise CommandError("--year is a tax year that has begun.")
        if not send:
            if queue:
                raise CommandError("--queue goes with --send.")
            counts = preview(year)
            totals = ", ".join(
                format_money(kept, currency) for currency, kept in counts["totals"].items()
            )
            self.stdout.write(
                f"{year} (dry run, nothing sent or written): {counts['donors']} donors, "
                f"{counts['gifts']} gifts, total {totals or '0'}; "
                f"{counts['skipped_erased']} gifts skipped: their donors' data was erased "
                "under the retention rule, so no statement can be sent."
            )
            return
        if queue:
            from donations.tasks import send_donor_statements

            send_donor_statements.delay(year)
            self.stdout.write(f"{year}: queued; follow it on /staff/statements/.")
            return

        def progress(run):
            state = "finished" if run.finished_at else "sending"
            self.stdout.write(f"{year}: {state}, {run.sent} of {run.total} donors sent")

        run = run_send(year, progress=progress)
        self.stdout.write(
            f"{year}: {run.sent} of {run.total} donors sent; {run.skipped_erased} gifts "
            "skipped: their donors' data was erased under the retention rule, so no "
            "statement can be sent."
        )
