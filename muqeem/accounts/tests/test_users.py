from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from muqeem.accounts.models import User
from muqeem.accounts.permissions import Permission
from muqeem.audit.models import AuditEvent, AuditEventType
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def main_client(establishment):
    main = UserFactory(establishment=establishment, is_main_user=True, service_permissions=[])
    client = Client()
    client.force_login(main)
    return client


def test_main_user_creates_a_restricted_colleague_who_activates_and_sees_only_what_was_granted(
    main_client, establishment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = main_client.post(
            reverse("users:create"),
            {
                "username": "sara.hr",
                "full_name_ar": "سارة",
                "first_name": "Sara",
                "last_name": "Ali",
                "email": "sara@example.com",
                "role": "officer",
                "permissions": [Permission.IQAMA_RENEWAL, Permission.VIEW_RESIDENTS],
            },
        )
    assert response.status_code == 302
    sara = User.objects.get(username="sara.hr")
    assert sara.establishment_id == establishment.pk and not sara.is_main_user
    assert sorted(sara.service_permissions) == sorted(
        [Permission.IQAMA_RENEWAL, Permission.VIEW_RESIDENTS]
    )
    assert not sara.has_usable_password()
    assert AuditEvent.objects.filter(event_type=AuditEventType.USER_CREATED).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["sara@example.com"]
    link = re.search(r"http://\S+/accounts/activate/\S+/", mail.outbox[0].body).group(0)
    path = link.split("8000", 1)[1] if "8000" in link else link
    client = Client()
    form_page = client.get(path, follow=True)
    assert b'id="activate-form"' in form_page.content
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    done = client.post(
        set_url, {"new_password1": "A-good-pass-2026", "new_password2": "A-good-pass-2026"}
    )
    assert done.status_code == 302
    # Sara is told her password was set (ASVS 2.2.3), in both languages, with no link in it.
    assert len(mail.outbox) == 2
    notice = mail.outbox[1]
    assert notice.to == ["sara@example.com"]
    assert "sara.hr" in notice.body and "http" not in notice.body
    assert "Muqeem password" in notice.subject
    # The link works once only.
    assert b'id="invalid-link"' in Client().get(path, follow=True).content
    login = Client().post(
        reverse("accounts:login"), {"username": "sara.hr", "password": "A-good-pass-2026"}
    )
    assert login.status_code == 302


def test_read_only_role(main_client):
    main_client.post(
        reverse("users:create"),
        {
            "username": "auditor1",
            "full_name_ar": "مدقق",
            "first_name": "Aud",
            "email": "a@example.com",
            "role": "read_only",
        },
    )
    assert sorted(User.objects.get(username="auditor1").service_permissions) == sorted(
        [Permission.VIEW_RESIDENTS, Permission.REPORTS]
    )


def test_deactivate_and_change_permissions(main_client, establishment):
    colleague = UserFactory(
        establishment=establishment, service_permissions=[Permission.IQAMA_RENEWAL]
    )
    main_client.post(
        reverse("users:detail", args=[colleague.pk]),
        {"role": "officer", "permissions": [Permission.FINAL_EXIT]},
    )
    colleague.refresh_from_db()
    assert colleague.service_permissions == [Permission.FINAL_EXIT]
    assert not colleague.is_active  # the "active" box was left unticked


def test_users_of_another_establishment_are_404(main_client, other_establishment):
    stranger = UserFactory(establishment=other_establishment)
    assert main_client.get(reverse("users:detail", args=[stranger.pk])).status_code == 404
    main_client.post(
        reverse("users:detail", args=[stranger.pk]), {"role": "officer", "permissions": []}
    )
    stranger.refresh_from_db()
    assert stranger.is_active and stranger.service_permissions


def test_taken_username_is_a_form_error(main_client, hr_officer):
    response = main_client.post(
        reverse("users:create"),
        {
            "username": hr_officer.username,
            "full_name_ar": "x",
            "first_name": "x",
            "email": "x@example.com",
            "role": "officer",
        },
    )
    assert response.status_code == 200
    assert b"is-invalid" in response.content or b"alert-danger" in response.content
