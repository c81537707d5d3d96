from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ledger.reports.catalogue import all_statements
from ledger.reports.dates import InvalidPeriod, period_from_text
from ledger.reports.files import render
from ledger.reports.views import pdf_available


class Command(BaseCommand):
    help = (
        "Write the financial statements of a period (trial balance, financial position, "
        "activities, bail roll-forward, bail activity by county and by court), one file per "
        "statement, named <statement>_<from>_<to>.<format>. See docs/reports.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--format", choices=["csv", "html", "pdf"], default="csv")
        parser.add_argument(
            "--output", default=".", help="Directory to write to (default: the current one)."
        )

    def handle(self, *args, **options):
        try:
            period = period_from_text(options["start"], options["end"])
        except InvalidPeriod as problem:
            raise CommandError(str(problem))
        file_format = options["format"]
        if file_format == "pdf" and not pdf_available():
            raise CommandError("PDF needs the fpdf2 package (requirements.txt).")
        output = Path(options["output"])
        if output.exists() and not output.is_dir():
            raise CommandError(f"--output {output} is not a directory.")

        reports = all_statements(period)
        files = [(report.file_name(file_format), render(report, file_format)) for report in reports]
        output.mkdir(parents=True, exist_ok=True)
        for name, content in files:
            (output / name).write_bytes(content)
            self.stdout.write(str(output / name))

        failed = [f"{r.title}: {c.label}" for r in reports for c in r.checks if not c.ok]
        if failed:
            raise CommandError("These checks failed (the files say so too): " + "; ".join(failed))
        self.stderr.write(f"wrote {len(files)} statements for {period.label}; every check holds")
