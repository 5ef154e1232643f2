"""Fees and parameters of iqama issuance, profession change, transfer of services and Wasel delivery."""

import datetime

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2020, 1, 1)
DEFAULTS = {
    "issuance.window_days": 90,
    "issuance.late_fine": 50000,
    "issuance.period_months": 12,
    "issuance.min_passport_validity_days": 90,
    "profession.change_fee": 200000,
    "profession.free_corrections": 1,
    "transfer.fees": [200000, 400000, 600000],
    "transfer.expiry_days": 10,
    "transfer.worker_consent_required": False,
    "wasel.delivery_fee": 3000,
    "wasel.lost_card_fees": [100000, 200000, 300000],
    "wasel.damaged_card_fee": 50000,
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
    dependencies = [("fees", "0005_penalties")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
