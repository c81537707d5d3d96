from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0019_corrections"),
    ]

    operations = [
        migrations.AddField(
            model_name="bailcase",
            name="next_court_date",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="disbursement",
            name="payee_name",
            field=models.CharField(blank=True, max_length=120),
        ),
    ]
