"""Exit/re-entry visa and final exit fees and parameters (DOMAIN.md) as schedule entries."""

import datetime

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2020, 1, 1)
DEFAULTS = {
    "visa.single_base_fee": 20000,
    "visa.single_base_months": 2,
    "visa.single_extra_month_fee": 10000,
    "visa.multiple_base_fee": 50000,
    "visa.multiple_base_months": 3,
    "visa.multiple_extra_month_fee": 20000,
    "visa.max_months": 24,
    "visa.days_per_month": 30,
    "visa.min_passport_validity_days": 90,
    "visa.travel_window_months": 3,
    "visa.extension_grace_days": 60,
    "visa.extension_abroad_multiplier": 1,
    "visa.cancel_window_days": 90,
    "visa.unused_fine": 100000,
    "visa.not_returned_after_months": 2,
    "final_exit.fee": 0,
    "final_exit.leave_within_days": 60,
    "final_exit.cancel_window_days": 60,
    "final_exit.expired_cancel_fee": 100000,
    "final_exit.min_passport_validity_days": 60,
    "final_exit.fingerprint_min_age": 15,
    "final_exit.probation_days": 90,
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
    dependencies = [("fees", "0003_schedule_defaults")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
