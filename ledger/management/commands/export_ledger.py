import sys

from django.core.management.base import BaseCommand

from ledger.books.exports import write_beancount, write_csv


class Command(BaseCommand):
    help = "Export the general journal as CSV (one row per posting) or Beancount text."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "beancount"], default="csv")
        parser.add_argument("--output", help="File to write (default: standard output).")

    def handle(self, *args, **options):
        writer = write_csv if options["format"] == "csv" else write_beancount
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                count = writer(out)
            self.stderr.write(f"wrote {count} transactions to {options['output']}")
        else:
            try:
                writer(sys.stdout)
                sys.stdout.flush()
            except BrokenPipeError:  # the reader (e.g. `| head`) stopped early
                sys.stderr.close()
