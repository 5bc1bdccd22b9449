"""The fixed date a synthetic register is made on, and ages counted back from it.

Ages and "future" birth dates are relative to `REFERENCE_DATE`, not today, so the same call
gives the same rows on every day it runs. Dates are handled as ordinals (days), which is fast.
"""

from __future__ import annotations

from datetime import date

#: Ages and "future" birth dates are relative to this fixed date, so output is deterministic.
REFERENCE_DATE = date(2026, 11, 1)
REFERENCE_ORDINAL = REFERENCE_DATE.toordinal()
YEAR = 365.2425  # days


def years_before(ordinal: int, years: int) -> int:
    d = date.fromordinal(ordinal)
    try:
        return d.replace(year=d.year - years).toordinal()
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28).toordinal()


def age_range(lo: int, hi: int) -> tuple[int, int]:
    """Birth ordinals that give an age (completed years at REFERENCE_DATE) within [lo, hi]."""
    return years_before(REFERENCE_ORDINAL, hi + 1) + 1, years_before(REFERENCE_ORDINAL, lo)
