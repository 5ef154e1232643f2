from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import UserFactory


def staff_user(role: str, **extra: Any) -> Any:
    return UserFactory(establishment=None, is_staff=True, staff_role=role, **extra)


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor(db: Any) -> Any:
    return staff_user("supervisor", username="sup")


@pytest.fixture
def operator(db: Any) -> Any:
    return staff_user("operator", username="op")


@pytest.fixture
def auditor(db: Any) -> Any:
    return staff_user("auditor", username="aud")
