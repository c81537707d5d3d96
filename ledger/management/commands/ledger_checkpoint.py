from django.core.management.base import BaseCommand

from ledger.books.tree_heads import checkpoint_create
from ledger.models import Checkpoint


class Command(BaseCommand):
    help = "Record the current chain head as a dated checkpoint, or list the checkpoints."

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="List checkpoints instead.")

    def handle(self, *args, **options):
        if options["list"]:
            for checkpoint in Checkpoint.objects.all():
                self.stdout.write(
                    f"{checkpoint.created_at:%Y-%m-%dT%H:%M:%SZ} #{checkpoint.sequence} "
                    f"{checkpoint.hash}"
                )
            return
        checkpoint = checkpoint_create()
        self.stdout.write(f"checkpoint #{checkpoint.sequence} {checkpoint.hash}")
