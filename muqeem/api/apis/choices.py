"""Choice fields whose choice sets have no name in the settings' `ENUM_NAME_OVERRIDES`."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import TextChoices
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def inline_choice_field(choices: type[TextChoices], **kwargs: Any) -> serializers.ChoiceField:
    """A choice field written in the schema as a pattern, not as a named enum component: a second
    choice set on a field named like another (`status`) would otherwise make drf-spectacular warn
    about the collision, and the schema is generated with warnings as errors."""
    values = list(choices.values)
    # A pattern, not an `enum`: the enum post-processing names every `enum`, even nested ones.
    pattern = "^(" + "|".join(re.escape(v) for v in values) + ")$"

    @extend_schema_field(
        {"type": "string", "pattern": pattern, "description": "One of: " + ", ".join(values)}
    )
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices.choices, **kwargs)
