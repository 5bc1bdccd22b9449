"""Time helpers: the database stores UTC; the UI shows Asia/Jakarta (Flask-Babel's timezone)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


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
