"""The key's lookup is one hand-written statement (`muqeem.core.rows`): it must load what the ORM's
`select_related` did, and leave nothing for the request to read again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from muqeem.api.models import ApiKey
from muqeem.api.services import api_key_authenticate, api_key_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_key_its_user_and_establishment_are_the_orms(main_user, establishment):
    created, secret = api_key_create(actor=main_user, name="HR", permissions=["view_residents"])
    api_key_authenticate(raw_key=secret)  # records the last use
    with CaptureQueriesContext(connection) as ctx:
        key = api_key_authenticate(raw_key=secret)
        assert key is not None
        user, est = key.service_user, key.establishment
        assert user.establishment == est
        assert user.api_key is key
    assert len(ctx.captured_queries) == 1
    stored = ApiKey.objects.select_related("service_user", "establishment").get(pk=created.pk)
    for model_fields, loaded, orm in [
        (ApiKey._meta.concrete_fields, key, stored),
        (type(user)._meta.concrete_fields, user, stored.service_user),
        (type(est)._meta.concrete_fields, est, stored.establishment),
    ]:
        for field in model_fields:
            assert getattr(loaded, field.attname) == getattr(orm, field.attname), field.name
        assert not loaded._state.adding
    assert key.permissions == ["view_residents"]


def test_a_service_user_of_another_establishment_is_not_given_the_keys(
    main_user, other_establishment
):
    _key, secret = api_key_create(actor=main_user, name="HR", permissions=["view_residents"])
    user = ApiKey.objects.get(prefix=secret[:12]).service_user
    type(user).objects.filter(pk=user.pk).update(establishment=other_establishment)
    key = api_key_authenticate(raw_key=secret)
    assert key is not None
    assert key.service_user.establishment_id == other_establishment.pk
    assert key.service_user.establishment == other_establishment


def test_an_unknown_key_reads_nothing_else(db):
    UserFactory()
    with CaptureQueriesContext(connection) as ctx:
        assert api_key_authenticate(raw_key="mqk_" + "x" * 43) is None
    assert len(ctx.captured_queries) == 1
