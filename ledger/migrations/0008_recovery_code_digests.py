"""Recovery codes issued before they were stored as digests: replace each stored code with
its digest (ledger.staff.accounts.recovery_code_digest), so the codes people hold keep
working and the database no longer holds them."""

import base64
import hashlib

from django.db import migrations


def _digest(code: str) -> str:
    # Frozen copy of ledger.staff.accounts.recovery_code_digest as of this migration.
    digest = hashlib.sha256(code.strip().lower().encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:16]


def store_digests(apps, schema_editor):
    token = apps.get_model("otp_static", "StaticToken")
    for row in token.objects.using(schema_editor.connection.alias).iterator():
        row.token = _digest(row.token)
        row.save(update_fields=["token"], using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0007_public_figures_generation"),
        ("otp_static", "0003_add_timestamps"),
    ]

    # Irreversible: a digest cannot be turned back into its code.
    operations = [migrations.RunPython(store_digests)]
