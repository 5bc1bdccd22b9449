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
