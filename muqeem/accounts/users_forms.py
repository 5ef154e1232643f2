from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from muqeem.accounts.permissions import READ_ONLY, Permission

ROLE_OFFICER = "officer"
ROLE_READ_ONLY = "read_only"


class RoleMixin(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (ROLE_OFFICER, _("Officer: the permissions ticked below")),
            (ROLE_READ_ONLY, _("Read-only")),
        ],
        initial=ROLE_OFFICER,
    )
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=Permission.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def chosen_permissions(self) -> list[str]:
        if self.cleaned_data.get("role") == ROLE_READ_ONLY:
            return [p.value for p in READ_ONLY]
        return list(self.cleaned_data.get("permissions") or [])


class UserCreateForm(RoleMixin):
    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[A-Za-z0-9._-]{3,40}$",
        error_messages={
            "invalid": _("3 to 40 Latin letters, digits, dots, dashes or underscores.")
        },
    )
    full_name_ar = forms.CharField(label=_("Name (Arabic)"), max_length=200)
    first_name = forms.CharField(label=_("First name (English)"), max_length=150)
    last_name = forms.CharField(label=_("Last name (English)"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail (receives the activation link)"))


class UserUpdateForm(RoleMixin):
    is_active = forms.BooleanField(label=_("Active"), required=False)
