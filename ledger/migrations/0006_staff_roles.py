"""The staff roles as groups (see ledger.staff.roles and docs/permissions.md)."""

from django.db import migrations

ROLES = ("viewer", "bookkeeper", "case_manager", "approver", "admin")


def create_roles(apps, schema_editor):
    group = apps.get_model("auth", "Group")
    for name in ROLES:
        group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("ledger", "0005_disbursements"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
