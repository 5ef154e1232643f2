from django.db import migrations

# Kept literal: a migration must not change if the model's constant does later.
FIRST_SERIAL = 60_000_000


def create_allocator_row(apps, schema_editor):  # type: ignore[no-untyped-def]
    allocator = apps.get_model("iqama_issuance", "IqamaNumberAllocator")
    allocator.objects.get_or_create(pk=1, defaults={"next_serial": FIRST_SERIAL})


class Migration(migrations.Migration):
    dependencies = [
        ("iqama_issuance", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_allocator_row, migrations.RunPython.noop),
    ]
