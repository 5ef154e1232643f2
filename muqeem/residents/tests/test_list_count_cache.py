from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from muqeem.core.cache import establishment_data_changed
from tests.factories import ResidentFactory


def _total(client) -> int:
    html = client.get(reverse("residents:list")).content.decode()
    match = re.search(r'id="residents-total" data-value="(\d+)"', html)
    assert match is not None
    return int(match.group(1))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_list_count_is_cached_until_the_establishment_commits_a_change(
    officer_client, establishment
):
    cache.clear()
    ResidentFactory.create_batch(3, establishment=establishment)
    with override_settings(FIGURES_CACHE_SECONDS=60):
        first = _total(officer_client)
        ResidentFactory(establishment=establishment)  # no transaction of the establishment
        assert _total(officer_client) == first
        with transaction.atomic():
            establishment_data_changed(establishment.pk)
        assert _total(officer_client) == first + 1
    cache.clear()
