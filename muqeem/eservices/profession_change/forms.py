from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from muqeem.residents.models import Profession


class ProfessionChangeForm(forms.Form):
    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)
    # A free code, not a ChoiceField: a code withdrawn from the list between page load and submit
    # must reach the rules (PROFESSION_NOT_FOUND among every other blocker), not stop at the form.
    profession = forms.CharField(label=_("New profession"), max_length=10)

    def __init__(self, *args: Any, professions: Sequence[Profession], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profession_choices = [(p.code, f"{p.code} — {p.name}") for p in professions]
