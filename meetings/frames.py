"""Reading fields of client socket frames: wrong types are a clear ValidationError."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def optional_int(frame: dict[str, object], key: str) -> int | None:
    value = frame.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f'"{key}" must be a number.')
    return value


def required_int(frame: dict[str, object], key: str) -> int:
    value = optional_int(frame, key)
    if value is None:
        raise ValidationError(f'"{key}" is required.')
    return value
