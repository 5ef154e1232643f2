from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from muqeem.payments.demo import DEMO_BANK_KEY, seed_demo
from muqeem.payments.models import Bill, BillStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_its_key_and_curl_line_work(establishment):
    UserFactory(username="modern.admin", establishment=establishment, is_main_user=True)
    first = seed_demo()
    again = seed_demo()
    assert first[0] == again[0] and DEMO_BANK_KEY in first[0] and "curl" in first[1]
    assert Bill.objects.filter(status=BillStatus.PAID).count() == 1
    unpaid = Bill.objects.get(status=BillStatus.UNPAID)
    assert unpaid.number in first[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {DEMO_BANK_KEY}")
    assert client.get(f"/api/bank/v1/bills/{unpaid.number}/").status_code == 200
    body = json.loads(first[1].split("-d '", 1)[1].rstrip("'"))
    assert client.post("/api/bank/v1/payments/", body, format="json").status_code == 201


def test_demo_without_the_demo_establishment_still_prints_the_key(db):
    lines = seed_demo()
    assert DEMO_BANK_KEY in lines[0] and Bill.objects.count() == 0
