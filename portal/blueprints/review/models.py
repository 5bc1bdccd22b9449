"""The camat's review of a locked meeting: confirmed (with the countersigned PDF) or returned
(with a note). One per meeting, written once: the database refuses changes (migration 0005)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, backref, deferred, mapped_column, relationship

from portal.blueprints.meetings.models import Meeting
from portal.extensions import Model
from portal.timeutil import utcnow

CONFIRMED, RETURNED = "confirmed", "returned"


class MeetingReview(Model):
    __tablename__ = "meeting_reviews"
    __table_args__ = (
        CheckConstraint("outcome IN ('confirmed', 'returned')", name="outcome_known"),
        CheckConstraint("outcome <> 'returned' OR length(note) > 0", name="returned_has_note"),
        CheckConstraint(
            "outcome <> 'confirmed' OR (pdf IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name="confirmed_has_countersigned_pdf",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Confirmed: the berita acara with the camat's confirmation added as a second signature
    # (an incremental update, so the secretary's first signature stays valid).
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    signer_subject: Mapped[str | None] = mapped_column(String(300))
    signer_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Families of the decided list the operator has to enter in SIKS-NG.
    entry_total: Mapped[int | None] = mapped_column(Integer)

    meeting: Mapped[Meeting] = relationship(backref=backref("review", uselist=False))
