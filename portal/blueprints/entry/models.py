"""The operator's record of what was entered in SIKS-NG: one mark per family of a confirmed
meeting's decided list (entered, or rejected by SIKS-NG with the reason)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.timeutil import utcnow

ENTERED, REJECTED = "entered", "rejected"
CATEGORIES = ("tetap", "keluar", "baru", "perbaikan")


class EntryMark(Model):
    __tablename__ = "entry_marks"
    __table_args__ = (
        CheckConstraint("status IN ('entered', 'rejected')", name="status_known"),
        CheckConstraint(
            "category IN ('tetap', 'keluar', 'baru', 'perbaikan')", name="category_known"
        ),
        CheckConstraint("status <> 'rejected' OR length(reason) > 0", name="rejected_has_reason"),
        UniqueConstraint("meeting_id", "household_id", name="uq_entry_marks_meeting_household"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    category: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
