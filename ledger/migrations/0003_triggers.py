from django.db import migrations

from ledger.books import db_triggers


def install(apps, schema_editor):
    db_triggers.install(schema_editor.connection, db_triggers.JOURNAL_TABLES)
    if schema_editor.connection.vendor == "postgresql":
        for statement in db_triggers.PG_STORAGE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    db_triggers.drop(schema_editor.connection, db_triggers.JOURNAL_TABLES)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_chart_of_accounts")]

    operations = [migrations.RunPython(install, drop)]
