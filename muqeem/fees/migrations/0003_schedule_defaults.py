"""The published fees and rule parameters (DOMAIN.md) as the schedule's first entries."""

import datetime

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2020, 1, 1)
DEFAULTS = {
    "renewal.periods_months": [3, 6, 9, 12],
    "renewal.max_horizon_months": 24,
    "renewal.iqama_fee_per_year": 65000,
    "renewal.work_permit_fee_per_year": 10000,
    "renewal.expat_levy_per_month": 80000,
    "renewal.expat_levy_per_month_saudi_majority": 70000,
    "renewal.dependents_levy_per_month": 40000,
    "renewal.late_grace_days": 3,
    "renewal.late_fines": [50000, 100000],
    "renewal.abroad_fee_multiplier": 2,
    "renewal.min_passport_validity_days": 1,
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
    dependencies = [("fees", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
