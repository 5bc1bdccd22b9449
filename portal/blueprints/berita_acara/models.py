"""The berita acara of a meeting: its canonical decided list and hash, the signed PDF, the scan.

One row per meeting. Its status follows the generation job: queued → running → done, or failed
(the meeting stays decided and the secretary may try again). Once done, the database refuses any
change to the hash, the canonical list, the PDF and the verification code (triggers of migration
0004), and to the meeting's own rows.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, backref, deferred, mapped_column, relationship

from portal.blueprints.meetings.models import Meeting
from portal.extensions import Model, db
from portal.timeutil import overdue, utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
PENDING = (QUEUED, RUNNING)


class BeritaAcara(Model):
    __tablename__ = "berita_acara"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
        CheckConstraint(
            "status <> 'done' OR (pdf IS NOT NULL AND sha256 IS NOT NULL "
            "AND canonical IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name="done_has_signed_pdf",
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # each request of the job
    error: Mapped[str | None] = mapped_column(Text)
    # Unguessable: the public verification page's address (/verifikasi/<code>).
    verify_code: Mapped[str] = mapped_column(String(32), unique=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    canonical: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    render_seconds: Mapped[float | None] = mapped_column(db.Float)
    signer_subject: Mapped[str | None] = mapped_column(String(300))
    signer_fingerprint: Mapped[str | None] = mapped_column(String(64))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The hand-signed paper, scanned: kept with its own hash.
    scan: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    scan_mimetype: Mapped[str | None] = mapped_column(String(40))
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    scan_size: Mapped[int | None] = mapped_column(Integer)
    scan_uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scan_uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # `meeting.berita_acara` too: the meetings area reads its berita acara through the model,
    # without importing this area (which sits above it).
    meeting: Mapped[Meeting] = relationship(backref=backref("berita_acara", uselist=False))

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    @property
    def stalled(self) -> bool:
        """A job that has not finished long after it was asked for: its worker died or no
        worker runs. The secretary may ask again (the job itself refuses to finish a superseded
        request)."""
        if not self.pending:
            return False
        timeout = current_app.config.get("BA_JOB_TIMEOUT", 900)
        return overdue(self.started_at or self.requested_at, timeout)

    @property
    def generating(self) -> bool:
        """Being made now: asked for, not finished, not stalled."""
        return self.pending and not self.stalled

    @property
    def done(self) -> bool:
        return self.status == DONE


class SigningCertificate(Model):
    """Every certificate the portal has signed with. Verification trusts those the portal
    sealed (`trust.py`) and the configured one, so PDFs signed before a key change, or by another
    worker, still verify. Written once: the database refuses changes but to the seal (0010)."""

    __tablename__ = "signing_certificates"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of DER
    subject: Mapped[str] = mapped_column(String(300))
    pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # HMAC of fingerprint and certificate with a key derived from SECRET_KEY: None (or a seal
    # made under another secret key) is not trusted until `flask ba trust-certificates`.
    seal: Mapped[str | None] = mapped_column(String(64))
