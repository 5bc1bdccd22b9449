"""Personal data (UU 27/2022): NIK and No. KK are shown in full only to users whose scope covers
the family, masked everywhere else, and never written to logs or URLs."""

from __future__ import annotations

from typing import Any

from portal.access import covers


def mask_id(value: str | None) -> str:
    """`3201234567890123` → `320123********23`: region digits and the last two stay readable."""
    if not value:
        return ""
    if len(value) != 16:
        return "*" * len(value)
    return f"{value[:6]}{'*' * 8}{value[-2:]}"


def shown_id(value: str | None, village_code: str | None, user: Any = None) -> str:
    """The full number when the user's scope covers the family's village, else masked."""
    if value and covers(village_code, user):
        return value
    return mask_id(value)
