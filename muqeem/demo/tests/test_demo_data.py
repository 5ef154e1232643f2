import pytest
from django.core.management import call_command

from muqeem.accounts.models import User
from muqeem.establishments.models import Establishment
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.residents.models import Resident


@pytest.mark.django_db
def test_demo_data_is_complete_and_idempotent():
    # The reference data a migration loads (a transactional test elsewhere may have flushed it).
    import importlib

    from django.apps import apps

    importlib.import_module("muqeem.residents.migrations.0003_reference_data").load(apps, None)
    call_command("demo_data", verbosity=0)
    counts = (Establishment.objects.count(), User.objects.count(), Resident.objects.count())
    balances = sorted(Establishment.objects.values_list("balance_halalas", flat=True))
    call_command("demo_data", verbosity=0)
    assert (Establishment.objects.count(), User.objects.count(), Resident.objects.count()) == counts
    assert sorted(Establishment.objects.values_list("balance_halalas", flat=True)) == balances
    assert counts[0] == 2 and 190 <= counts[2] <= 210
    for est in Establishment.objects.all():
        assert est.balance_halalas == establishment_ledger_balance(establishment=est)
    # Every situation the renewal rules distinguish is present.
    assert Resident.objects.filter(unpaid_traffic_fines_halalas__gt=0).exists()
    assert Resident.objects.filter(fingerprint_registered=False).exists()
    assert Resident.objects.filter(insurance_active=False).exists()
    assert Resident.objects.filter(inside_kingdom=False).exists()
    assert Resident.objects.filter(late_renewal_count=2).exists()
    assert Resident.objects.filter(dependents__isnull=False).exists()
