"""API keys: shown once, stored hashed, acting through their own service user; anything but a valid,
unrevoked key is a 401 `CREDENTIAL_INVALID`, and a portal session is not a credential here."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from muqeem.accounts.permissions import Permission
from muqeem.api.models import ApiKey
from muqeem.api.services import api_key_create, api_key_revoke
from muqeem.api.tests.conftest import client_for, idem
from muqeem.audit.models import AuditEvent, AuditEventType
from muqeem.core.errors import DomainError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/residents/"


def _assert_401(response):
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "CREDENTIAL_INVALID"
    assert set(body) == {"code", "message", "messages", "violations", "fields", "request_id"}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_key_is_shown_once_and_only_its_hash_is_stored(main_user):
    key, secret = api_key_create(actor=main_user, name="SAP", permissions=["view_residents"])
    assert secret.startswith("mqk_") and len(secret) > 40
    assert key.prefix == secret[:12]
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = ApiKey.objects.values_list(*[f.attname for f in ApiKey._meta.concrete_fields])
    assert all(secret not in str(v) for row in stored for v in row)


def test_each_key_acts_through_its_own_service_user(main_user, establishment):
    key, _secret = api_key_create(
        actor=main_user, name="SAP", permissions=["view_residents", "iqama_renewal"]
    )
    user = key.service_user
    assert user.establishment_id == establishment.pk
    assert not user.is_main_user and user.is_active
    assert not user.has_usable_password()
    assert user.username == f"api-{key.prefix[4:]}"
    assert sorted(user.service_permissions) == ["iqama_renewal", "view_residents"]
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.API_KEY_CREATED, actor_user=main_user, extra_data__api_key=key.pk
    ).exists()


def test_a_key_never_holds_more_than_its_creator(establishment):
    clerk = UserFactory(
        establishment=establishment,
        service_permissions=[Permission.USER_MANAGEMENT, Permission.VIEW_RESIDENTS],
    )
    with pytest.raises(DomainError) as refused:
        api_key_create(actor=clerk, name="x", permissions=["view_residents", "iqama_renewal"])
    assert refused.value.code == "VALIDATION_FAILED" and "permissions" in refused.value.fields
    key, _secret = api_key_create(actor=clerk, name="x", permissions=["view_residents"])
    assert key.permissions == ["view_residents"]


def test_user_management_cannot_be_put_on_a_key(main_user):
    with pytest.raises(DomainError):
        api_key_create(actor=main_user, name="x", permissions=["user_management"])


def test_no_key_is_401(db):
    _assert_401(APIClient().get(URL))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer mqk_not-a-real-key-at-all-000000000000000000000",
        "Bearer something-else",
        "Token mqk_abc",
        "Bearer",
        "Bearer a b",
    ],
)
def test_unknown_or_malformed_key_is_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    _assert_401(client.get(URL))


def test_revoked_key_is_401_at_once(api, main_user):
    assert api.get(URL).status_code == 200
    api_key_revoke(actor=main_user, key_id=api.api_key.pk)
    _assert_401(api.get(URL))
    api.api_key.service_user.refresh_from_db()
    assert api.api_key.service_user.is_active is False


def test_another_establishment_cannot_revoke_a_key(api, other_main_user):
    with pytest.raises(DomainError) as refused:
        api_key_revoke(actor=other_main_user, key_id=api.api_key.pk)
    assert refused.value.code == "NOT_FOUND"


def test_a_deactivated_service_user_is_401(api):
    user = api.api_key.service_user
    user.is_active = False
    user.save(update_fields=["is_active"])
    _assert_401(api.get(URL))


def test_portal_session_is_not_accepted(main_user):
    client = APIClient()
    client.force_login(main_user)
    assert client.session["_auth_user_id"] == str(main_user.pk)  # a live portal session
    _assert_401(client.get(URL))
    _assert_401(client.post("/api/v1/iqama-renewals/", {}, format="json", **idem()))


def test_last_used_is_recorded(api):
    assert api.api_key.last_used_at is None
    api.get(URL)
    api.api_key.refresh_from_db()
    assert api.api_key.last_used_at is not None


def test_the_key_works_with_a_lowercase_scheme(api):
    client = client_for(api.secret)
    client.credentials(HTTP_AUTHORIZATION=f"bearer {api.secret}")
    assert client.get(URL).status_code == 200
