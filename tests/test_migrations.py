from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_migrations_are_in_sync_with_models():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_schedule_migrations_load_exactly_the_published_defaults():
    """Every schedule key's default in code is what the data migrations load, and nothing else
    (read from the migrations themselves, so it holds whatever other tests did to the tables)."""
    import importlib
    import pkgutil

    from muqeem.fees import migrations as fee_migrations
    from muqeem.fees.schedule import KEYS

    loaded: dict[str, object] = {}
    for info in sorted(pkgutil.iter_modules(fee_migrations.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"muqeem.fees.migrations.{info.name}")
        loaded |= getattr(module, "DEFAULTS", {})
    assert loaded == {k.name: k.default for k in KEYS}
