"""The register: families (keluarga, one No. KK) of a village with their members, the history of
every change, and the imports of register exports that fill it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.blueprints.regions.models import Region
from portal.extensions import Model
from portal.timeutil import utcnow

ACTIVE, REMOVED, PROPOSED = "active", "removed", "proposed"
HOUSEHOLD_STATUSES = (ACTIVE, REMOVED, PROPOSED)

# Why a family left the register: the reasons a meeting may give (values and labels side by
# side), plus the import's own.
MEETING_REASON_LABELS = {
    "sudah_mampu": _l("Sudah mampu"),
    "meninggal": _l("Meninggal"),
    "pindah": _l("Pindah"),
    "ganda": _l("Ganda"),
    "tidak_ditemukan": _l("Tidak ditemukan"),
    "lainnya": _l("Lainnya"),
}
MEETING_REMOVAL_REASONS = tuple(MEETING_REASON_LABELS)
NOT_IN_PRELIST = "tidak_ada_di_prelist"  # absent from a newer register export of its village
REMOVAL_REASONS = (*MEETING_REMOVAL_REASONS, NOT_IN_PRELIST)


class Household(Model):
    """A keluarga of the register: one No. KK in one village."""

    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("length(kk) = 16", name="kk_16_digits"),
        CheckConstraint("status IN ('active', 'removed', 'proposed')", name="status_known"),
        CheckConstraint(
            "(status = 'removed') = (removed_reason IS NOT NULL)", name="removed_has_reason"
        ),
        CheckConstraint("desil IS NULL OR desil BETWEEN 1 AND 10", name="desil_1_10"),
        Index("ix_households_village_status_rw_rt", "village_code", "status", "rw", "rt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_code: Mapped[str] = mapped_column(String(10), ForeignKey("regions.code"))
    kk: Mapped[str] = mapped_column(String(16), unique=True)
    iddtks: Mapped[str | None] = mapped_column(String(40))
    alamat: Mapped[str | None] = mapped_column(String(300))
    dusun: Mapped[str | None] = mapped_column(String(100))
    rt: Mapped[str | None] = mapped_column(String(3))
    rw: Mapped[str | None] = mapped_column(String(3))
    pkh: Mapped[bool] = mapped_column(Boolean, default=False)
    bpnt: Mapped[bool] = mapped_column(Boolean, default=False)
    pbi: Mapped[bool] = mapped_column(Boolean, default=False)
    desil: Mapped[int | None] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE)
    removed_reason: Mapped[str | None] = mapped_column(String(40))
    removed_note: Mapped[str | None] = mapped_column(Text)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The confirmed meeting that removed it (None when an import did).
    removed_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    village: Mapped[Region] = relationship(lazy="joined")
    members: Mapped[list[Person]] = relationship(
        back_populates="household", order_by="Person.position, Person.id"
    )

    __scope_column__ = "village_code"

    @property
    def head(self) -> Person | None:
        for member in self.members:
            if member.is_head:
                return member
        return self.members[0] if self.members else None


class Person(Model):
    """A member of a family. The NIK is unique in the whole register."""

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("length(nik) = 16", name="nik_16_digits"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("sex IS NULL OR sex IN ('L', 'P')", name="sex_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    nik: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_place: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    mother_name: Mapped[str | None] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    household: Mapped[Household] = relationship(back_populates="members")

    @property
    def is_head(self) -> bool:
        return (self.relation or "").upper() == "KEPALA KELUARGA"


class HouseholdEvent(Model):
    """One change of a family, with what it was before and after: nothing is overwritten without
    a trace. `source` says what made the change (an import now, a meeting later)."""

    __tablename__ = "household_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(16))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("register_imports.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


IMPORT_STATUSES = ("queued", "validating", "preview", "applying", "done", "failed", "cancelled")


class RegisterImport(Model):
    """An uploaded register export: validated into a preview, applied only on confirmation.

    The file itself is kept in the database (`RegisterImportFile`) so that a worker on another
    machine can read it: nothing depends on one server's disk.
    """

    __tablename__ = "register_imports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'validating', 'preview', 'applying', 'done', 'failed', "
            "'cancelled')",
            name="status_known",
        ),
        CheckConstraint("length(scope_code) IN (4, 10)", name="scope_village_or_kabupaten"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scope_code: Mapped[str] = mapped_column(String(10), ForeignKey("regions.code"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_size: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    issues: Mapped[list[Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    applied_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    scope: Mapped[Region] = relationship(lazy="joined")

    __scope_column__ = "scope_code"

    @property
    def is_running(self) -> bool:
        return self.status in ("queued", "validating", "applying")

    @property
    def waiting_long(self) -> bool:
        """Queued for over half a minute: most likely no worker is running."""
        created = self.created_at
        if created.tzinfo is None:  # SQLite gives naive datetimes back
            created = created.replace(tzinfo=UTC)
        return (utcnow() - created).total_seconds() > 30


class RegisterImportFile(Model):
    __tablename__ = "register_import_files"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("register_imports.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
