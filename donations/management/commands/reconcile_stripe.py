import argparse
import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from donations.models import RunStatus
from donations.reconciliation.runs import KINDS, reconcile_stripe


def _moment(text: str) -> int:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not YYYY-MM-DDTHH:MM[:SS]") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(settings.FUND_TIME_ZONE))
    return int(moment.timestamp())


class Command(BaseCommand):
    help = (
        "Reconcile the books with Stripe: post missed balance transactions, replay events, "
        "check payouts and Stripe's balance. Same service as the beat jobs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Walk Stripe's whole history.")
        parser.add_argument("--since", type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--kind", choices=KINDS, default="all")
        parser.add_argument(
            "--as-of",
            type=_moment,
            help="Check the balances as of this moment, YYYY-MM-DDTHH:MM[:SS] in "
            "FUND_TIME_ZONE unless it names its own offset (default: a minute ago).",
        )

    def handle(self, *args, **options):
        run = reconcile_stripe(
            kind=options["kind"],
            full=options["full"],
            since=options["since"],
            trigger="command",
            as_of=options["as_of"],
        )
        summary = (
            f"reconciliation run {run.pk} {run.status}: checked {run.checked}, "
            f"posted {run.posted}, mismatched {run.mismatched}"
        )
        if run.status == RunStatus.SKIPPED:
            self.stdout.write(summary + " (another run is in progress)")
            return
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"{summary}; {run.error}")
        self.stdout.write(summary)
