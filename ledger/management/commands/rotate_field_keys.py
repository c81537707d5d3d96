from django.core.management.base import BaseCommand

from ledger.casework.cases import cases_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every case's identifying data with the newest key in "
        "FIELD_ENCRYPTION_KEYS (put the new key first, run this, then drop the old key)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"re-encrypted {cases_reencrypt()} cases with the newest key")
