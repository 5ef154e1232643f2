"""The resident file by API is built without instantiating its serializer and read with one
hand-written statement: its body must stay the serializer's representation of the ORM's objects,
field for field and byte for byte."""

from __future__ import annotations

import json
from datetime import date

import pytest
from rest_framework.renderers import JSONRenderer

from muqeem.api.apis.residents import ResidentDetailApi
from muqeem.residents.models import DependentRelation, Resident, ResidentStatus
from muqeem.residents.selectors import resident_card_by_iqama_number
from tests.factories import DependentFactory, ResidentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/residents/"


def _serializer_body(resident: Resident) -> bytes:
    """What the view returned when it serialised ORM objects with its `OutputSerializer`."""
    r = Resident.objects.select_related("nationality", "profession").get(pk=resident.pk)
    data = {
        **{
            name: getattr(r, name)
            for name in ResidentDetailApi.OutputSerializer().fields
            if name not in ("nationality", "profession", "dependents")
        },
        "nationality": r.nationality,
        "profession": r.profession,
        "dependents": [
            {
                "id": d.pk,
                "name_ar": d.name_ar,
                "name_en": d.name_en,
                "relation": d.relation,
                "iqama_number": d.iqama_number,
                "inside_kingdom": d.inside_kingdom,
            }
            for d in r.dependents.filter(is_active=True).order_by("pk")
        ],
    }
    return JSONRenderer().render(ResidentDetailApi.OutputSerializer(data).data)


def test_the_body_is_the_serializers_representation(api, establishment, main_user):
    resident = ResidentFactory(
        establishment=establishment,
        name_ar='مقيم "تجريبي"\\ \u2028',
        border_number="3123456789",
        arrival_date=None,
        insurance_expiry_date=date(2031, 2, 3),
        inside_kingdom=False,
        status=ResidentStatus.OUTSIDE_KINGDOM,
        unpaid_traffic_fines_halalas=123456789012,
        late_renewal_count=2,
    )
    later = DependentFactory(resident=resident, iqama_number=None, inside_kingdom=False)
    DependentFactory(resident=resident, is_active=False)
    first = DependentFactory(resident=resident, relation=DependentRelation.SPOUSE)
    # Created out of id order: the body lists them by id all the same.
    assert first.pk > later.pk

    response = api.get(f"{URL}{resident.iqama_number}/")
    assert response.status_code == 200
    assert response.content == _serializer_body(resident)
    body = json.loads(response.content)
    assert [d["id"] for d in body["dependents"]] == [later.pk, first.pk]
    assert body["dependents"][0]["iqama_number"] is None
    assert body["dependents"][0]["inside_kingdom"] is False
    assert body["arrival_date"] is None
    assert body["insurance_expiry_date"] == "2031-02-03"


def test_a_resident_without_dependents(api, resident):
    response = api.get(f"{URL}{resident.iqama_number}/")
    assert response.status_code == 200
    assert response.content == _serializer_body(resident)
    assert response.json()["dependents"] == []


def test_the_card_is_the_orms_resident(main_user, resident):
    card = resident_card_by_iqama_number(actor=main_user, iqama_number=resident.iqama_number)
    stored = Resident.objects.select_related("nationality", "profession").get(pk=resident.pk)
    for field in Resident._meta.concrete_fields:
        assert getattr(card.resident, field.attname) == getattr(stored, field.attname), field.name
    n, p = stored.nationality, stored.profession
    assert card.nationality == (n.code, n.name_ar, n.name_en)
    assert card.profession == (p.code, p.name_ar, p.name_en)
    assert not card.resident._state.adding
