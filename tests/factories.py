"""Factories for tests: realistic, valid records by default; override what a test is about."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from muqeem.accounts.models import User
from muqeem.accounts.permissions import Permission
from muqeem.core.ids import make_iqama_number
from muqeem.establishments.models import Establishment
from muqeem.residents.models import (
    Dependent,
    DependentRelation,
    Gender,
    Nationality,
    Profession,
    Resident,
)

TEST_PASSWORD = "Test-pass-2026!"


def _today():  # type: ignore[no-untyped-def]
    return timezone.localdate()


class EstablishmentFactory(DjangoModelFactory):
    class Meta:
        model = Establishment
        django_get_or_create = ("moi_number",)

    moi_number = factory.Sequence(lambda n: f"7{100000000 + n:09d}")
    name_ar = factory.Sequence(lambda n: f"منشأة الاختبار {n}")
    name_en = factory.Sequence(lambda n: f"Test Establishment {n}")
    cr_number = factory.Sequence(lambda n: f"{1010000000 + n}")
    registered_mobile = factory.Sequence(lambda n: f"9665{10000000 + n:08d}")
    saudis_majority = False
    building_number = "1234"
    street = "King Fahd Road"
    district = "Al Olaya"
    city = "Riyadh"
    postal_code = "12211"
    additional_number = "5678"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"officer{n}")
    establishment = factory.SubFactory(EstablishmentFactory)
    is_main_user = False
    # An officer granted every service; tests about permissions grant fewer.
    service_permissions = factory.LazyFunction(lambda: [p.value for p in Permission])
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)
    # Authority staff (no establishment) receive the login's security code on their own mobile.
    mobile = factory.LazyAttributeSequence(
        lambda o, n: "" if o.establishment else f"9665{60000000 + n:08d}"
    )

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            obj.save()


class ResidentFactory(DjangoModelFactory):
    """An active resident inside the kingdom with nothing blocking a renewal, iqama expiring in 60 days."""

    class Meta:
        model = Resident

    establishment = factory.SubFactory(EstablishmentFactory)
    iqama_number = factory.Sequence(lambda n: make_iqama_number(30_000_000 + n))
    name_ar = factory.Sequence(lambda n: f"محمد أحمد {n}")
    name_en = factory.Sequence(lambda n: f"Mohammed Ahmed {n}")
    gender = Gender.MALE
    date_of_birth = factory.LazyFunction(lambda: _today() - timedelta(days=35 * 365))
    # get_or_create: transactional tests flush the reference data the migrations load.
    nationality = factory.LazyFunction(
        lambda: Nationality.objects.get_or_create(
            code="IND", defaults={"name_ar": "الهند", "name_en": "India"}
        )[0]
    )
    profession = factory.LazyFunction(
        lambda: Profession.objects.get_or_create(
            code="741101", defaults={"name_ar": "كهربائي", "name_en": "Electrician"}
        )[0]
    )
    iqama_issue_date = factory.LazyFunction(lambda: _today() - timedelta(days=305))
    iqama_expiry_date = factory.LazyFunction(lambda: _today() + timedelta(days=60))
    passport_number = factory.Sequence(lambda n: f"P{1000000 + n}")
    passport_issue_date = factory.LazyFunction(lambda: _today() - timedelta(days=700))
    passport_expiry_date = factory.LazyFunction(lambda: _today() + timedelta(days=1200))
    insurance_expiry_date = factory.LazyFunction(lambda: _today() + timedelta(days=200))


class DependentFactory(DjangoModelFactory):
    class Meta:
        model = Dependent

    resident = factory.SubFactory(ResidentFactory)
    name_ar = "تابع"
    name_en = "Dependent"
    relation = DependentRelation.SPOUSE
    date_of_birth = factory.LazyFunction(lambda: _today() - timedelta(days=30 * 365))
    iqama_number = factory.Sequence(lambda n: make_iqama_number(40_000_000 + n))
