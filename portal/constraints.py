from django.db import models


def in_choices(field, choices, allow_blank=False):
    """A CheckConstraint condition: ``field`` holds one of ``choices`` (or "" if allowed)."""
    return models.Q(**{f"{field}__in": list(choices.values) + ([""] if allow_blank else [])})
