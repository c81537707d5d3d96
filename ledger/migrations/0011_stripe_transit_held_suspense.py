"""The accounts for payouts in transit, money Stripe holds back, and Stripe movements to
classify (``ledger.books.chart``)."""

from django.db import migrations

from ledger.books.chart import ensure_chart


def add_accounts(apps, schema_editor):
    ensure_chart(apps.get_model("ledger", "Account"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0010_transparency_releases")]

    operations = [migrations.RunPython(add_accounts, migrations.RunPython.noop)]
