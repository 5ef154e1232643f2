from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from muqeem.audit.models import AuditEventType

pytestmark = pytest.mark.django_db


def _urls(event_pk: int) -> list[str]:
    return [
        reverse("oversight:audit"),
        reverse("oversight:audit_event", args=[event_pk]),
        reverse("oversight:audit_csv"),
        reverse("oversight:audit_xlsx"),
        reverse("oversight:statistics"),
        reverse("oversight:statistics_csv", args=["revenue"]),
    ]


@pytest.mark.parametrize("role", ["auditor", "operator", "supervisor"])
def test_every_staff_role_reads_every_page(
    client: Any, role: str, request: Any, make_event: Any
) -> None:
    from django.utils import timezone

    staff = request.getfixturevalue(role)
    event = make_event(AuditEventType.LOGIN, at=timezone.now(), actor=staff)
    client.force_login(staff)
    for url in _urls(event.pk):
        response = client.get(url)
        assert response.status_code == 200, url
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)


def test_establishment_user_gets_404(client: Any, hr_officer: Any, make_event: Any) -> None:
    from django.utils import timezone

    event = make_event(AuditEventType.LOGIN, at=timezone.now(), actor=hr_officer)
    client.force_login(hr_officer)
    for url in _urls(event.pk):
        assert client.get(url).status_code == 404, url


def test_anonymous_is_sent_to_login(client: Any, make_event: Any) -> None:
    from django.utils import timezone

    event = make_event(AuditEventType.LOGIN, at=timezone.now())
    for url in _urls(event.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_unknown_statistics_table_is_404(auditor_client: Any) -> None:
    url = reverse("oversight:statistics_csv", args=["nothing-here"])
    assert auditor_client.get(url).status_code == 404


def test_a_missing_event_is_404(auditor_client: Any) -> None:
    assert auditor_client.get(reverse("oversight:audit_event", args=[999_999])).status_code == 404
