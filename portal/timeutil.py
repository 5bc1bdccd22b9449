"""Time helpers: the database stores UTC; the UI shows Asia/Jakarta (Flask-Babel's timezone)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import overload


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime: SQLite gives them back naive, PostgreSQL aware."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def overdue(since: datetime | None, seconds: float) -> bool:
    """More than `seconds` have passed since `since` (None: never started, not overdue). A
    background job still unfinished that long after it started is taken for dead: its worker
    was killed, or none runs (the berita acara and the register import both ask this)."""
    return since is not None and (utcnow() - as_utc(since)).total_seconds() > seconds


def local_date(moment: datetime, region_code: str) -> date:
    """The calendar date of a stored (UTC) moment in the region's zone (WIB/WITA/WIT): 17:30 UTC
    on 31 December is already 1 January in WIB, 16:30 UTC already 1 January in WITA."""
    from portal.blueprints.berita_acara.wording import local_time

    return local_time(moment, region_code).date()
