"""Simultaneous iqama issuances on PostgreSQL: the counter row's lock hands out distinct numbers.

The arrivals belong to different establishments, so the establishment locks do not serialise them and
the counter is the only thing they share."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from conftest import fund
from muqeem.core.errors import DomainError
from muqeem.core.ids import iqama_number_problem
from muqeem.eservices.iqama_issuance.models import IqamaNumberAllocator
from muqeem.eservices.iqama_issuance.services import iqama_issue
from muqeem.fees.selectors import establishment_ledger_balance
from muqeem.residents.models import Resident
from tests.factories import EstablishmentFactory, ResidentFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CLIENTS = 8


def _arrivals(count: int) -> list[tuple[object, Resident]]:
    pairs = []
    for i in range(count):
        establishment = EstablishmentFactory()
        fund(establishment, 50_000)
        officer = UserFactory(establishment=establishment)
        arrival = ResidentFactory(
            establishment=establishment,
            iqama_number=None,
            iqama_issue_date=None,
            iqama_expiry_date=None,
            border_number=f"3{500_000_000 + i:09d}",
            arrival_date=timezone.localdate() - timedelta(days=30),
        )
        pairs.append((officer, arrival))
    return pairs


def _race(pairs) -> tuple[Counter[str], list[str]]:
    barrier = threading.Barrier(len(pairs))
    outcomes: Counter[str] = Counter()
    numbers: list[str] = []
    lock = threading.Lock()

    def worker(officer, arrival) -> None:
        number = None
        try:
            barrier.wait()
            number = iqama_issue(
                actor=officer, border_number=arrival.border_number, idempotency_key="issue"
            ).issuance.iqama_number
            outcome = "issued"
        except DomainError as exc:
            outcome = ",".join(str(v.code) for v in exc.violations) or str(exc.code)
        except Exception as exc:  # a database error is an outcome that fails the test
            outcome = type(exc).__name__
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1
            if number:
                numbers.append(number)

    threads = [threading.Thread(target=worker, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes, numbers


def _assert_all_issued_distinct_and_valid(pairs, outcomes, numbers) -> None:
    assert outcomes == Counter({"issued": len(pairs)})
    assert len(set(numbers)) == len(pairs)
    assert all(iqama_number_problem(n) is None for n in numbers)
    stored = set(
        Resident.objects.filter(pk__in=[a.pk for _, a in pairs]).values_list(
            "iqama_number", flat=True
        )
    )
    assert stored == set(numbers)
    for officer, _ in pairs:
        establishment = officer.establishment
        establishment.refresh_from_db()
        assert establishment.balance_halalas == establishment_ledger_balance(
            establishment=establishment
        )


def test_eight_simultaneous_issuances_get_eight_distinct_valid_numbers():
    pairs = _arrivals(CLIENTS)
    IqamaNumberAllocator.objects.get_or_create(pk=1)
    start = IqamaNumberAllocator.objects.get().next_serial
    outcomes, numbers = _race(pairs)
    _assert_all_issued_distinct_and_valid(pairs, outcomes, numbers)
    assert IqamaNumberAllocator.objects.get().next_serial == start + CLIENTS


def test_issuers_racing_to_create_a_missing_counter_row_still_get_distinct_numbers():
    pairs = _arrivals(CLIENTS)
    IqamaNumberAllocator.objects.all().delete()
    outcomes, numbers = _race(pairs)
    _assert_all_issued_distinct_and_valid(pairs, outcomes, numbers)
    assert IqamaNumberAllocator.objects.count() == 1
