from django.db import migrations

from ledger.books import db_triggers


def install(apps, schema_editor):
    for statement in db_triggers.truncate_guard_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    for statement in db_triggers.truncate_guard_drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0012_books_time_zone")]

    operations = [migrations.RunPython(install, drop)]
