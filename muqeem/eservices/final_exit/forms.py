from django import forms
from django.utils.translation import gettext_lazy as _


class FinalExitForm(forms.Form):
    iqama_number = forms.CharField(label=_("Iqama number"), max_length=40)


class ProbationForm(forms.Form):
    border_number = forms.CharField(label=_("Border number"), max_length=40)
