"""Time helpers: the database stores UTC; the UI shows Asia/Jakarta (Flask-Babel's timezone)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
