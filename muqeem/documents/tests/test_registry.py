from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured

from muqeem.documents.registry import (
    PublicProjection,
    mask_name,
    projection_for,
    register_verifiable,
    unregister_verifiable,
)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Mohammed Ahmed", "M••••••• A••••"),
        ("محمد عبدالله الحربي", "م••• ع•••••• ا•••••"),
        ("  Ali   bin  Saleh ", "A•• b•• S••••"),
        ("A", "A"),
        ("", ""),
        ("   ", ""),
        # Harakat and tatweel are not letters: they neither count nor show.
        ("مُحَمَّد", "م•••"),
        ("محـــمد", "م•••"),
        ("José María", "J••• M••••"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_masked_name_reveals_only_first_letters() -> None:
    masked = mask_name("محمد عبدالله الحربي")
    for hidden in ("حمد", "بدالله", "لحربي"):
        assert hidden not in masked


def _projection(status_code: str = "valid") -> PublicProjection:
    return PublicProjection(
        document_type="Permit",
        status="Valid",
        status_code=status_code,
        valid_from=None,
        valid_until=date(2030, 1, 1),
        masked_name="M•••",
        establishment_name="Est",
    )


def test_projection_status_code_is_one_of_four() -> None:
    for code in ("valid", "used", "cancelled", "expired"):
        assert _projection(code).status_code == code
    with pytest.raises(ValueError, match="status_code"):
        _projection("approved")


def test_registry_answers_per_kind_and_refuses_a_second_provider() -> None:
    def provider(object_id: int) -> PublicProjection | None:
        return _projection() if object_id == 1 else None

    register_verifiable("registry_test", provider)
    try:
        register_verifiable("registry_test", provider)  # same provider again: harmless
        with pytest.raises(ImproperlyConfigured):
            register_verifiable("registry_test", lambda _id: None)
        assert projection_for("registry_test", 1) == _projection()
        assert projection_for("registry_test", 2) is None
        assert projection_for("no_such_kind", 1) is None
    finally:
        unregister_verifiable("registry_test")
    assert projection_for("registry_test", 1) is None
