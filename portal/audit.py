"""The audit trail: every write appends an entry in the same transaction as the change.

Services call `record(...)`; they never commit, so the entry and the change land together or not
at all. Entries are hash-chained at commit (`portal.audit_chain`); `flask audit verify` checks them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal import audit_chain
from portal.extensions import Model, db
from portal.timeutil import utcnow


class AuditEntry(Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(10), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The chain (set at commit by audit_chain.link_pending): position, previous hash, own hash.
    seq: Mapped[int | None] = mapped_column(BigInteger, index=True, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))

    __scope_column__ = "region_code"


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    region_code: str | None = None,
    details: dict[str, Any] | None = None,
    user_id: int | None = None,
) -> AuditEntry:
    """Append an audit entry to the current transaction. Never put a full NIK in `details`."""
    if user_id is None and has_request_context() and current_user.is_authenticated:
        user_id = current_user.id
    entry = AuditEntry(
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        region_code=region_code,
        remote_addr=request.remote_addr if has_request_context() else None,
        details=details,
        user_id=user_id,
    )
    db.session.add(entry)
    db.session.info.setdefault(audit_chain.PENDING_KEY, []).append(entry)
    return entry


audit_chain.install()
