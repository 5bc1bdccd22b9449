"""The audit trail's hash chain: each entry stores the hash of the one before it.

Entries are chained in commit order, not insert order: `record()` adds an entry without its link;
just before the transaction commits, the session's new entries are flushed, the chain's tail is
read under a lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: the write lock the
flush already took), and each entry gets `seq` (1, 2, 3, … with no gap), `prev_hash` and
`entry_hash` = SHA-256 of its canonical content and `prev_hash`. Two app servers committing at
once therefore still build one chain; the unique index on `seq` refuses a fork outright.

`verify()` walks the chain: a deleted entry leaves a gap in `seq` and a broken link, an inserted
entry has no place in the chain or breaks a link, an altered one no longer matches its hash. Cutting
entries off the end is the one change a chain cannot see by itself; `verify(expect_head=…)` checks
a head noted earlier (printed by `flask audit verify`, stored in every backup's manifest).

The database also refuses UPDATE and DELETE of chained entries (triggers, migration 0006), so
tampering needs the database owner's rights and is then detected here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, scoped_session

GENESIS = "0" * 64
PENDING_KEY = "audit_pending"
# pg_advisory_xact_lock key: "audit" in ASCII, any constant the portal uses for nothing else.
PG_LOCK_KEY = 0x6175646974


def _moment(value: datetime | str | None) -> str | None:
    """UTC, microseconds, no offset: the same text whether the driver returns it aware or not."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def digest(entry: dict[str, Any]) -> str:
    """SHA-256 of an entry's content and its link to the previous entry."""
    details = entry.get("details")
    # Through JSON and back, as the database column stores it (tuples become lists, …).
    details = None if details is None else json.loads(json.dumps(details))
    content = {
        "seq": entry["seq"],
        "prev": entry["prev_hash"],
        "at": _moment(entry["created_at"]),
        "user": entry["user_id"],
        "action": entry["action"],
        "object_type": entry["object_type"],
        "object_id": entry["object_id"],
        "region": entry["region_code"],
        "addr": entry["remote_addr"],
        "details": details,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fields(entry: Any) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "prev_hash": entry.prev_hash,
        "created_at": entry.created_at,
        "user_id": entry.user_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "region_code": entry.region_code,
        "remote_addr": entry.remote_addr,
        "details": entry.details,
    }


def _tail(session: Session) -> tuple[int, str | None]:
    from portal.audit import AuditEntry

    row = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash)
        .where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0, GENESIS
    seq, entry_hash = row
    assert seq is not None  # selected where it is set
    return seq, entry_hash


def link_pending(session: Session) -> None:
    """Give the session's new entries their place in the chain (called just before commit)."""
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    session.flush()  # inserts the entries: on SQLite this takes the database's write lock
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    seq, prev = _tail(session)
    for entry in sorted(pending, key=lambda e: e.id):
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.entry_hash = prev = digest(_fields(entry))
    session.flush()


def _forget_pending(session: Session, *_args: Any) -> None:
    session.info.pop(PENDING_KEY, None)


def install() -> None:
    """Hook the chain into every session's commit (once per process)."""
    if not event.contains(Session, "before_commit", link_pending):
        event.listen(Session, "before_commit", link_pending)
        event.listen(Session, "after_rollback", _forget_pending)


@dataclass
class Report:
    """What `verify()` found: `problems` empty means the chain is whole."""

    count: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head(self) -> str:
        return f"{self.head_seq}:{self.head_hash}"


def _entries(session: Session | scoped_session[Any], batch: int) -> Iterator[Any]:
    """Chained entries in `seq` order, a batch at a time (keyset pagination, bounded memory)."""
    from portal.audit import AuditEntry

    after = 0
    while True:
        rows = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.seq > after)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        assert last is not None  # selected by seq > after
        after = last
        session.expunge_all()


def verify(
    session: Session | scoped_session[Any],
    *,
    expect_head: str | None = None,
    batch: int = 2000,
    limit: int = 20,
) -> Report:
    """Walk the whole chain and report every break (at most `limit` messages)."""
    from portal.audit import AuditEntry

    report = Report()

    def problem(message: str) -> None:
        if len(report.problems) < limit:
            report.problems.append(message)
        elif len(report.problems) == limit:
            report.problems.append("…")

    expected_seq, prev = 1, GENESIS
    for entry in _entries(session, batch):
        report.count += 1
        if entry.seq != expected_seq:
            problem(
                _(
                    "seq %(first)d–%(last)d: entri hilang (dihapus) sebelum entri #%(id)d",
                    first=expected_seq,
                    last=entry.seq - 1,
                    id=entry.id,
                )
            )
        if entry.prev_hash != prev:
            problem(
                _(
                    "seq %(seq)d (entri #%(id)d): tautan ke entri sebelumnya putus",
                    seq=entry.seq,
                    id=entry.id,
                )
            )
        if digest(_fields(entry)) != entry.entry_hash:
            problem(
                _(
                    "seq %(seq)d (entri #%(id)d): isi entri diubah (hash tidak cocok)",
                    seq=entry.seq,
                    id=entry.id,
                )
            )
        expected_seq, prev = entry.seq + 1, entry.entry_hash
        report.head_seq, report.head_hash = entry.seq, entry.entry_hash
    unchained = (
        session.execute(
            select(AuditEntry.id).where(AuditEntry.seq.is_(None)).order_by(AuditEntry.id).limit(5)
        )
        .scalars()
        .all()
    )
    if unchained:
        problem(
            _(
                "entri di luar rantai (disisipkan tanpa melalui portal): %(ids)s",
                ids=", ".join(f"#{i}" for i in unchained),
            )
        )
    if expect_head:
        seq_text, _sep, hash_text = expect_head.partition(":")
        try:
            seq = int(seq_text)
        except ValueError:
            seq = -1
        row = session.execute(
            select(AuditEntry.entry_hash).where(AuditEntry.seq == seq)
        ).scalar_one_or_none()
        if row is None:
            problem(
                _(
                    "kepala yang dicatat (%(seq)s) tidak ada lagi: entri terakhir dipotong",
                    seq=seq_text,
                )
            )
        elif row != hash_text:
            problem(
                _("kepala yang dicatat (%(seq)s) berbeda dari entri di basis data", seq=seq_text)
            )
    return report
