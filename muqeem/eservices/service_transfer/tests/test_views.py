from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from muqeem.accounts.security_code import SESSION_FLAG
from muqeem.eservices.service_transfer.models import TransferRequest
from muqeem.workflow.machine import RequestStatus

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_FLAG] = "verified"
    session.save()
    return client


def test_two_establishments_request_inbox_approve(
    hr_officer, other_officer, resident, other_establishment
):
    new_sponsor, current_sponsor = _client(other_officer), _client(hr_officer)
    page = new_sponsor.post(
        reverse("service_transfer:request"),
        {"iqama_number": resident.iqama_number, "sponsor_moi": resident.establishment.moi_number},
    )
    assert page.status_code == 200 and b'id="verified"' in page.content
    token = re.search(rb'name="token" value="([^"]+)"', page.content).group(1).decode()
    response = new_sponsor.post(reverse("service_transfer:confirm"), {"token": token})
    transfer = TransferRequest.objects.get()
    assert response.url == reverse("service_transfer:detail", args=[transfer.request.number])

    inbox = current_sponsor.get(reverse("service_transfer:inbox"))
    assert f'data-number="{transfer.request.number}"'.encode() in inbox.content
    detail = current_sponsor.get(reverse("service_transfer:detail", args=[transfer.request.number]))
    assert b'id="approve-button"' in detail.content
    assert b'id="withdraw-button"' not in detail.content
    assert b'id="withdraw-button"' in new_sponsor.get(response.url).content

    current_sponsor.post(reverse("service_transfer:approve", args=[transfer.request.number]))
    transfer.request.refresh_from_db()
    resident.refresh_from_db()
    assert transfer.request.status == RequestStatus.COMPLETED
    assert resident.establishment_id == other_establishment.pk
    # The old sponsor keeps the transfer's record but no longer reaches the resident's file.
    assert (
        current_sponsor.get(
            reverse("service_transfer:detail", args=[transfer.request.number])
        ).status_code
        == 200
    )
    assert (
        current_sponsor.get(reverse("residents:file", args=[resident.iqama_number])).status_code
        == 404
    )
    assert (
        new_sponsor.get(reverse("residents:file", args=[resident.iqama_number])).status_code == 200
    )


def test_reject_without_reason_shows_an_error(hr_officer, other_officer, resident):
    from muqeem.eservices.service_transfer.services import transfer_request_create

    transfer = transfer_request_create(
        actor=other_officer,
        iqama_number=resident.iqama_number,
        sponsor_moi=resident.establishment.moi_number,
        idempotency_key="k",
    ).transfer
    response = _client(hr_officer).post(
        reverse("service_transfer:reject", args=[transfer.request.number]), {"reason": ""}
    )
    assert response.status_code == 400
    assert b'data-code="REASON_REQUIRED"' in response.content


def test_unrelated_establishment_gets_404(other_officer, resident, django_user_model):
    from muqeem.eservices.service_transfer.services import transfer_request_create
    from tests.factories import EstablishmentFactory, UserFactory

    transfer = transfer_request_create(
        actor=other_officer,
        iqama_number=resident.iqama_number,
        sponsor_moi=resident.establishment.moi_number,
        idempotency_key="k",
    ).transfer
    outsider = _client(UserFactory(establishment=EstablishmentFactory()))
    assert (
        outsider.get(reverse("service_transfer:detail", args=[transfer.request.number])).status_code
        == 404
    )
    assert (
        outsider.post(
            reverse("service_transfer:approve", args=[transfer.request.number])
        ).status_code
        == 404
    )
