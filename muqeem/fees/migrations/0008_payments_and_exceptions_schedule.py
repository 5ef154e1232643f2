"""Parameters of SADAD top-up bills and of exception requests."""

import datetime

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2020, 1, 1)
DEFAULTS = {
    "payments.bill_min_amount": 10000,
    "payments.bill_max_amount": 100000000,
    "payments.bill_validity_days": 30,
    "exceptions.approval_valid_days": 30,
}


def load(apps, schema_editor):
    ScheduleEntry = apps.get_model("fees", "ScheduleEntry")
    for key, value in DEFAULTS.items():
        ScheduleEntry.objects.get_or_create(
            key=key,
            effective_from=EFFECTIVE_FROM,
            defaults={"value": value, "note": "Published default"},
        )


class Migration(migrations.Migration):
    dependencies = [("fees", "0007_alter_ledgerline_fee_code_alter_penalty_fee_code")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
