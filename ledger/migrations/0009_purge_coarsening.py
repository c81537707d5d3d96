"""Cases purged before the purge also blanked the court, the outcome note and instrument
references, and kept dates only to the month, get the same treatment now (as
ledger.casework.cases.cases_purge_identifying_data does for later ones), with one audit row each.
Running it again changes nothing: blank stays blank and a first of the month stays one.
Going backwards keeps the rows as they are: what was erased cannot come back."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

ERASES = {
    "bailcase": ("identity_ciphertext", "docket_lookup", "court", "outcome"),
    "disbursement": ("instrument_reference",),
    "disbursementoutcome": (),
}
TO_THE_MONTH = {
    "bailcase": ("created_at", "updated_at", "opened_on", "closed_on", "pii_purged_at"),
    "disbursement": (
        "requested_at",
        "approved_at",
        "paid_at",
        "cancelled_at",
        "paid_on",
        "settled_on",
    ),
    "disbursementoutcome": ("occurred_on", "recorded_at"),
}


def _to_the_month(value):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value)
        return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return value.replace(day=1)


def _coarsen(model, rows, db) -> None:
    name = model._meta.model_name
    fields = TO_THE_MONTH[name]
    for row in rows.values("pk", *fields):
        changes = {field: _to_the_month(row[field]) for field in fields}
        changes |= dict.fromkeys(ERASES[name], "")
        model.objects.using(db).filter(pk=row["pk"]).update(**changes)


def coarsen_purged_cases(apps, schema_editor):
    BailCase = apps.get_model("ledger", "BailCase")
    Disbursement = apps.get_model("ledger", "Disbursement")
    DisbursementOutcome = apps.get_model("ledger", "DisbursementOutcome")
    AuditEvent = apps.get_model("ledger", "AuditEvent")
    db = schema_editor.connection.alias
    purged = list(
        BailCase.objects.using(db).filter(pii_purged_at__isnull=False).values_list("pk", "public_id")
    )
    for pk, public_id in purged:
        _coarsen(BailCase, BailCase.objects.using(db).filter(pk=pk), db)
        _coarsen(Disbursement, Disbursement.objects.using(db).filter(case_id=pk), db)
        _coarsen(
            DisbursementOutcome,
            DisbursementOutcome.objects.using(db).filter(disbursement__case_id=pk),
            db,
        )
        AuditEvent.objects.using(db).create(
            at=timezone.now(),
            actor=None,
            action="case.identifying_data_purged",
            object_type="case",
            object_id=str(public_id),
            details={
                "erased": [f"{m}.{f}" for m, fields in ERASES.items() for f in fields],
                "to_the_month": [f"{m}.{f}" for m, fields in TO_THE_MONTH.items() for f in fields],
                "by": "migration 0009_purge_coarsening",
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0008_recovery_code_digests"),
    ]

    operations = [
        migrations.RunPython(coarsen_purged_cases, migrations.RunPython.noop),
    ]
