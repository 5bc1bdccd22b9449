"""Reading the audit trail: the entries a user may see, filtered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.access import in_scope, scope_column, scoped_select
from portal.audit import AuditEntry
from portal.blueprints.users.models import User

# Action prefixes (the part before the dot) people filter by.
GROUPS: dict[str, Any] = {
    "auth": _l("Masuk dan keluar"),
    "user": _l("Pengguna"),
    "regions": _l("Wilayah"),
    "register": _l("Register keluarga"),
    "meeting": _l("Musyawarah"),
    "berita_acara": _l("Berita acara"),
    "review": _l("Konfirmasi camat"),
    "entry": _l("Entri SIKS-NG"),
    "transparency": _l("Transparansi"),
    "dashboard": _l("Dasbor"),
}


def _start_of(day: date) -> datetime:
    """Midnight of a day in the portal's time zone, in UTC (entries are stored in UTC)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Jakarta")
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def entries(
    user: Any,
    *,
    group: str = "",
    username: str = "",
    region: str = "",
    since: date | None = None,
    until: date | None = None,
):  # -> Select
    """The entries of the user's region, newest first, narrowed by the filter's values."""
    stmt = scoped_select(AuditEntry, user).order_by(AuditEntry.id.desc())
    if group:
        stmt = stmt.where(AuditEntry.action.like(f"{group}.%"))
    if username:
        named = select(User.id).where(User.username == username.strip().lower())
        stmt = stmt.where(AuditEntry.user_id.in_(named))
    if region:
        stmt = stmt.where(AuditEntry.region_code.like(f"{region}%"))
    if since:
        stmt = stmt.where(AuditEntry.created_at >= _start_of(since))
    if until:
        stmt = stmt.where(AuditEntry.created_at < _start_of(until + timedelta(days=1)))
    return stmt


def usernames(entry_list: list[AuditEntry]) -> dict[int, str]:
    """Usernames of the listed entries' users, in one query."""
    from portal.extensions import db

    ids = {e.user_id for e in entry_list if e.user_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(db.select(User.id, User.username).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


# At most this many failed-login entries are read for the summary (an attack writes many).
FAILED_LOGIN_ROWS = 5000


@dataclass
class FailedLogins:
    """Failed logins on one username (as typed, normalised) within the period."""

    username: str
    known: bool
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    addresses: dict[str, int] = field(default_factory=dict)


def failed_logins(user: Any, *, days: int = 7) -> tuple[list[FailedLogins], list[FailedLogins]]:
    """Failed logins of the last `days` days: on accounts of the admin's region, and on
    usernames that do not exist (guessing: they belong to no region, so every kabupaten admin
    sees them). Most attempts first."""
    from portal.extensions import db
    from portal.timeutil import utcnow

    since = utcnow() - timedelta(days=days)
    base = (
        select(AuditEntry)
        .where(AuditEntry.action == "auth.login_failed", AuditEntry.created_at >= since)
        .order_by(AuditEntry.id.desc())
        .limit(FAILED_LOGIN_ROWS)
    )
    known = base.where(in_scope(scope_column(AuditEntry), user))
    unknown = base.where(AuditEntry.region_code.is_(None), AuditEntry.object_id.is_(None))
    return (
        _summarise(db.session.execute(known).scalars(), known=True),
        _summarise(db.session.execute(unknown).scalars(), known=False),
    )


def _summarise(rows: Any, *, known: bool) -> list[FailedLogins]:
    by_name: dict[str, FailedLogins] = {}
    for entry in rows:
        name = str((entry.details or {}).get("username") or "")[:64]
        item = by_name.setdefault(name, FailedLogins(username=name, known=known))
        item.count += 1
        item.last = max(item.last or entry.created_at, entry.created_at)
        item.first = min(item.first or entry.created_at, entry.created_at)
        address = entry.remote_addr or "?"
        item.addresses[address] = item.addresses.get(address, 0) + 1
    return sorted(by_name.values(), key=lambda i: (-i.count, i.username))
