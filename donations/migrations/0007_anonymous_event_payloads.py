"""Stored Stripe events of anonymous gifts stored before their personal fields were left
out at intake lose them now: a failed event keeps its copy until staff deal with it."""

from django.db import migrations
from django.db.models import Q

from donations.retention.privacy import PERSONAL_EVENT_TYPES, event_without_personal_data


def strip_stored_events(apps, schema_editor):
    Donation = apps.get_model("donations", "Donation")
    StripeEvent = apps.get_model("donations", "StripeEvent")
    db = schema_editor.connection.alias
    known: dict = {}

    def anonymous(public_id):
        if public_id not in known:
            known[public_id] = (
                Donation.objects.using(db).filter(public_id=public_id)
                .values_list("anonymous", flat=True)
                .first()
            )
        return known[public_id]

    types = Q()
    for prefix in PERSONAL_EVENT_TYPES:
        types |= Q(type__startswith=prefix)
    pks = list(
        StripeEvent.objects.using(db).filter(types)
        .exclude(payload={"trimmed": True})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(pks), 500):
        changed = []
        for event in StripeEvent.objects.using(db).filter(pk__in=pks[start : start + 500]).only(
            "pk", "payload"
        ):
            stripped = event_without_personal_data(event.payload, anonymous=anonymous)
            if stripped is not None:
                event.payload = stripped
                changed.append(event)
        StripeEvent.objects.using(db).bulk_update(changed, ["payload"])


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0006_donor_data_erased_at"),
    ]

    operations = [
        migrations.RunPython(strip_stored_events, migrations.RunPython.noop, elidable=True),
    ]
