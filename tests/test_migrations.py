from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_migrations_are_in_sync_with_models():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_schedule_defaults_are_loaded_by_migration():
    from muqeem.fees.models import ScheduleEntry
    from muqeem.fees.schedule import KEYS

    loaded = {e.key: e.value for e in ScheduleEntry.objects.all()}
    assert {k.name: k.default for k in KEYS} == loaded
