from __future__ import annotations

from typing import Any

import pytest

from muqeem.reports.tests.builders import logged_in


@pytest.fixture
def officer_client(hr_officer: Any) -> Any:
    return logged_in(hr_officer)
