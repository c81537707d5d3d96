from django.core.management.base import BaseCommand

from donations.demo import seed_demo


class Command(BaseCommand):
    help = "Load a demo fund history into the books. Idempotent: a second run adds nothing."

    def handle(self, *args, **options):
        created = seed_demo()
        self.stdout.write(f"demo data: {created} new transactions")
