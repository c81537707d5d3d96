from django.db import migrations

from ledger.books.chart import ensure_chart
from ledger.books.hashing import GENESIS_HASH


def create_chart(apps, schema_editor):
    db = schema_editor.connection.alias
    ensure_chart(apps.get_model("ledger", "Account"), using=db)
    apps.get_model("ledger", "ChainHead").objects.using(db).get_or_create(
        id=1, defaults={"sequence": 0, "hash": GENESIS_HASH}
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(create_chart, migrations.RunPython.noop)]
