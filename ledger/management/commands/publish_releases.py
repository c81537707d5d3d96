from django.core.management.base import BaseCommand, CommandError

from ledger.models import TransparencyRelease
from ledger.public.releases import ReleaseNotDue, next_period, release_build, releases_publish_due


class Command(BaseCommand):
    help = (
        "Publish the transparency release of every closed month that is due "
        "(TRANSPARENCY_RELEASE_LAG_DAYS after it ends), or list the releases."
    )

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="List releases instead.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Build the next release; say what it would publish and suppress; store nothing.",
        )

    def handle(self, *args, **options):
        if options["list"]:
            for release in TransparencyRelease.objects.all():
                line = f"{release.period} {release.status} {release.content_hash}"
                if release.held_reason:
                    line += f"\n    held: {release.held_reason}"
                self.stdout.write(line)
            return
        if options["dry_run"]:
            period = next_period()
            if period is None:
                raise CommandError("nothing is in the books yet")
            try:
                candidate = release_build(period)
            except ReleaseNotDue as exc:
                raise CommandError(str(exc)) from exc
            for cell in candidate.truth["cells"]:
                state = "published" if cell["published"] else f"suppressed ({cell['why']})"
                self.stdout.write(f"{period} {cell['id']}: {state}")
            for finding in candidate.findings:
                self.stdout.write(f"would be held: {finding.describe()}")
            return
        made = releases_publish_due()
        for release in made:
            self.stdout.write(f"{release.period} {release.status} {release.content_hash}")
            if release.held_reason:
                self.stderr.write(f"held: {release.held_reason}")
        if not made:
            period = next_period()
            self.stdout.write(f"nothing due; next: {period or 'none (the books are empty)'}")
