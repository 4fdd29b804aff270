"""Template filters every template has without ``{% load %}`` (settings: TEMPLATES builtins)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def machine(value: dt.datetime | dt.date | None) -> str:
    """A time for the ``datetime`` attribute of ``<time>``: ISO 8601 to the second, with its offset.

    Django's ``date:"c"`` adds microseconds, and HTML allows at most three digits of a fraction.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""
