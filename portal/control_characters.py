"""Control characters: refused where text comes in (imports, forms), removed where it goes out
(XLSX and CSV exports).

A vertical tab in one imported name made the village export and the operator's `keputusan.xlsx`
fail: XML 1.0, and so openpyxl, cannot hold C0 characters other than tab and line breaks. No name,
NIK or address needs any of them; a multi-line text (a reason, a note) may keep tab and line breaks.
"""

from __future__ import annotations

import re

# C0 except tab, line feed and carriage return; DEL and C1; the noncharacters U+FFFE and U+FFFF.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff]")


def has_control_characters(value: str, *, breaks_allowed: bool = False) -> bool:
    """Whether `value` holds a control character (tab and line breaks too unless allowed)."""
    return (CONTROL if breaks_allowed else CONTROL_OR_BREAK).search(value) is not None


def without_control_characters(value: str) -> str:
    """`value` as an export may write it: control characters removed, tab and line breaks kept."""
    return CONTROL.sub("", value)
