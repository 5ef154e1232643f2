from __future__ import annotations

import pytest

from muqeem.accounts.models import User
from muqeem.accounts.services import user_create
from tests.factories import UserFactory


@pytest.fixture
def newcomer(establishment) -> User:
    """A sub-user just created by the main user: no password yet, an activation link to follow."""
    main = UserFactory(establishment=establishment, is_main_user=True)
    return user_create(
        actor=main,
        username="new.officer",
        email="new.officer@example.com",
        first_name="New",
        last_name="Officer",
        full_name_ar="موظف جديد",
        permissions=[],
    )
