from __future__ import annotations

import pytest

from muqeem.residents.models import Profession


def _profession(code: str, ar: str, en: str, *, generic: bool) -> Profession:
    # get_or_create: transactional tests flush the reference data the migrations load.
    return Profession.objects.get_or_create(
        code=code, defaults={"name_ar": ar, "name_en": en, "is_generic": generic}
    )[0]


@pytest.fixture
def worker(db) -> Profession:
    return _profession("100001", "عامل", "Worker", generic=True)


@pytest.fixture
def technician(db) -> Profession:
    return _profession("100003", "فني", "Technician", generic=True)


@pytest.fixture
def electrician(db) -> Profession:
    return _profession("741101", "كهربائي", "Electrician", generic=False)


@pytest.fixture
def driver(db) -> Profession:
    return _profession("832201", "سائق", "Driver", generic=False)
