from django.core.management.base import BaseCommand, CommandError

from ledger.books.verification import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute every hash, balance, monthly total and checkpoint from the postings. "
        "Exits non-zero naming the first bad sequence."
    )

    def handle(self, *args, **options):
        report = verify_ledger()
        if not report.ok:
            for problem in report.problems[1:]:
                self.stderr.write(f"  also: {problem}")
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
