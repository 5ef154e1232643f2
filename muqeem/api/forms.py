from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from muqeem.accounts.models import User
from muqeem.api.services import grantable_permissions


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("The system that will use the key, e.g. “HR system”."),
    )
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, officer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["permissions"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - declared above
        field.choices = [(p.value, p.label) for p in grantable_permissions(actor=officer)]
