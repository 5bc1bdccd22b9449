"""A musdes/muskel: its participants and attendance, proposals, votes and the moves of its life."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

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
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.blueprints.meetings import states
from portal.blueprints.regions.models import Region
from portal.blueprints.register.models import MEETING_REMOVAL_REASONS, Household
from portal.extensions import Model, db
from portal.timeutil import utcnow

if TYPE_CHECKING:
    from portal.blueprints.berita_acara.models import BeritaAcara
    from portal.blueprints.review.models import MeetingReview
    from portal.blueprints.users.models import User

# Who a participant is (unsur), values and labels side by side.
UNSUR_LABELS = {
    "kepala_desa": _l("Kepala desa/lurah"),
    "bpd_lpm": _l("BPD / LPM"),
    "rt_rw": _l("Ketua RT/RW"),
    "tokoh_masyarakat": _l("Tokoh masyarakat"),
    "tokoh_agama": _l("Tokoh agama"),
    "pkk": _l("PKK"),
    "pendamping_pkh": _l("Pendamping PKH"),
    "tksk": _l("TKSK"),
    "psm": _l("PSM"),
    "pendamping_desa": _l("Pendamping desa"),
    "perwakilan_keluarga_miskin": _l("Perwakilan keluarga miskin"),
    "notulen": _l("Notulen"),
    "pengamat": _l("Pengamat (camat/dinas)"),
    "lainnya": _l("Lainnya"),
}
UNSUR = tuple(UNSUR_LABELS)
PROPOSAL_KINDS = ("keluar", "baru", "perbaikan")
REMOVAL_REASONS = MEETING_REMOVAL_REASONS  # the register owns the reasons (and their labels)
PROPOSER_LABELS = {
    "rt_rw": _l("RT/RW"),
    "pendamping": _l("Pendamping"),
    "warga": _l("Warga"),
    "perangkat_desa": _l("Perangkat desa"),
    "lainnya": _l("Lainnya"),
}
PROPOSERS = tuple(PROPOSER_LABELS)
CHOICES = ("setuju", "tidak_setuju", "abstain")
METHODS = ("mufakat", "tally", "named", "batch")

_in = ", ".join


class Meeting(Model):
    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint(
            f"state IN ({_in(repr(s) for s in states.STATES)})".replace('"', "'"),
            name="state_known",
        ),
        CheckConstraint("quorum_den > 0 AND majority_den > 0", name="ratios_positive"),
        # A village holds at most one meeting in session (both databases support partial indexes).
        Index(
            "uq_meetings_one_in_session",
            "village_code",
            unique=True,
            sqlite_where=text("state = 'in_session'"),
            postgresql_where=text("state = 'in_session'"),
        ),
        # A berita acara number is used once per village and year (a cancelled meeting, never
        # signed, frees its number).
        Index(
            "uq_meetings_village_year_number",
            "village_code",
            "number_year",
            "number",
            unique=True,
            sqlite_where=text("state <> 'cancelled'"),
            postgresql_where=text("state <> 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_code: Mapped[str] = mapped_column(String(10), ForeignKey("regions.code"), index=True)
    number: Mapped[str] = mapped_column(String(60))
    # The year of `meeting_date`, kept by the services for the unique number per village and year.
    number_year: Mapped[int | None] = mapped_column(Integer)
    meeting_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str | None] = mapped_column(Text)
    chair_name: Mapped[str] = mapped_column(String(200))
    notulen_name: Mapped[str] = mapped_column(String(200))
    bpd_name: Mapped[str | None] = mapped_column(String(200))  # the BPD/LPM chair who signs
    period: Mapped[str] = mapped_column(String(7))  # register period covered, YYYY-MM
    state: Mapped[str] = mapped_column(String(16), default=states.DRAFT)
    # Rules in force, copied from the kabupaten's settings when the meeting is created.
    quorum_num: Mapped[int] = mapped_column(SmallInteger, default=2)
    quorum_den: Mapped[int] = mapped_column(SmallInteger, default=3)
    majority_num: Mapped[int] = mapped_column(SmallInteger, default=1)
    majority_den: Mapped[int] = mapped_column(SmallInteger, default=2)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A returned meeting is corrected only by an addendum meeting, which names it here.
    addendum_of_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))

    village: Mapped[Region] = relationship(lazy="joined")
    participants: Mapped[list[Participant]] = relationship(
        back_populates="meeting", order_by="Participant.id"
    )

    __scope_column__ = "village_code"
    __mapper_args__ = {"version_id_col": version}

    if TYPE_CHECKING:
        # Backrefs of the areas above (their models point here; this module imports neither).
        berita_acara: BeritaAcara | None
        review: MeetingReview | None

    @property
    def kind(self) -> str:
        return self.village.meeting_kind or "musdes"

    @property
    def state_label(self) -> str:
        return str(states.LABELS[self.state])

    # The meeting's vocabulary: what may happen now, read from `states.py` (the one place that
    # knows which states allow what). Templates, routes and services ask these.
    @property
    def details_editable(self) -> bool:
        return self.state in states.EDITABLE_DETAILS

    @property
    def participants_editable(self) -> bool:
        """Invitations: open until the session opens."""
        return self.state in states.EDITABLE_PARTICIPANTS

    @property
    def attendance_open(self) -> bool:
        """Check-ins and walk-ins."""
        return self.state in states.ATTENDANCE_OPEN

    @property
    def proposals_open(self) -> bool:
        return self.state in states.PROPOSALS_OPEN

    @property
    def decisions_open(self) -> bool:
        return self.state in states.DECISIONS_OPEN

    @property
    def has_decisions(self) -> bool:
        """Decided, or later: the decided list is final (or signed)."""
        return self.state in states.HAS_DECISIONS

    @property
    def awaiting_berita_acara(self) -> bool:
        """Decided, not yet locked: the berita acara may be made."""
        return self.state == states.DECIDED

    @property
    def awaiting_review(self) -> bool:
        """Locked: the camat may confirm or return it."""
        return self.state == states.LOCKED

    @property
    def is_sealed(self) -> bool:
        """Locked by its berita acara: nothing of the meeting changes any more."""
        return self.state in states.SEALED

    @property
    def prelist_frozen(self) -> bool:
        """Register imports leave the village's prelist alone while this meeting is under way."""
        return self.state in states.PRELIST_FROZEN


class MeetingMove(Model):
    """Every state change: from, to, who and when."""

    __tablename__ = "meeting_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    move: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class Participant(Model):
    __tablename__ = "participants"
    __table_args__ = (
        CheckConstraint("nik IS NULL OR length(nik) = 16", name="nik_16_digits"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        Index(
            "uq_participants_meeting_nik",
            "meeting_id",
            "nik",
            unique=True,
            sqlite_where=text("nik IS NOT NULL"),
            postgresql_where=text("nik IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unsur: Mapped[str] = mapped_column(String(40))
    position: Mapped[str | None] = mapped_column(String(120))  # jabatan, e.g. "Ketua RT 002"
    votes: Mapped[bool] = mapped_column(Boolean, default=True)
    nik: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="participants")

    @property
    def may_vote(self) -> bool:
        """Present and a voting participant; a family's own members are also recused from its
        proposal (`services.decisions.recused_ids`)."""
        return self.present and self.votes


class Proposal(Model):
    """A change to one family: keluar, baru (a new family) or perbaikan. Families without one
    stay (tetap)."""

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint("kind IN ('keluar', 'baru', 'perbaikan')", name="kind_known"),
        CheckConstraint(
            "(kind = 'baru') = (household_id IS NULL)", name="household_unless_new_family"
        ),
        CheckConstraint("kind <> 'keluar' OR reason IS NOT NULL", name="removal_has_reason"),
        CheckConstraint("status IN ('open', 'decided')", name="status_known"),
        CheckConstraint(
            "(status = 'decided') = (accepted IS NOT NULL)", name="decided_has_outcome"
        ),
        CheckConstraint(
            "votes_yes >= 0 AND votes_no >= 0 AND votes_abstain >= 0", name="counts_positive"
        ),
        UniqueConstraint("meeting_id", "household_id", name="uq_proposals_meeting_household"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    kind: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(20))
    reason_text: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # baru: family; perbaikan: diff
    proposer: Mapped[str] = mapped_column(String(20))
    proposer_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    has_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="open")
    accepted: Mapped[bool | None] = mapped_column(Boolean)
    method: Mapped[str | None] = mapped_column(String(10))
    vote_mode: Mapped[str | None] = mapped_column(String(10))  # named voting opened on it
    votes_yes: Mapped[int] = mapped_column(Integer, default=0)
    votes_no: Mapped[int] = mapped_column(Integer, default=0)
    votes_abstain: Mapped[int] = mapped_column(Integer, default=0)
    voters_present: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    household: Mapped[Household | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class ProposalPhoto(Model):
    __tablename__ = "proposal_photos"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    mimetype: Mapped[str] = mapped_column(String(40))
    content: Mapped[bytes] = mapped_column(db.LargeBinary)


class Vote(Model):
    """A named vote: one per voter per item, changeable until the item closes."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("proposal_id", "participant_id", name="uq_votes_proposal_participant"),
        CheckConstraint("choice IN ('setuju', 'tidak_setuju', 'abstain')", name="choice_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    choice: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class DecisionClaim(Model):
    """A family decided by a live meeting of a period: at most one per village, period and family
    (the unique constraint), written when a proposal about the family is decided, deleted when
    the camat returns the meeting (its decisions no longer stand)."""

    __tablename__ = "decision_claims"
    __table_args__ = (
        UniqueConstraint(
            "village_code", "period", "household_id", name="uq_decision_claims_family_period"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_code: Mapped[str] = mapped_column(String(10), ForeignKey("regions.code"))
    period: Mapped[str] = mapped_column(String(7))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KabupatenRules(Model):
    """Meeting rules a kabupaten/kota sets for its villages (defaults: Permendesa's)."""

    __tablename__ = "kabupaten_rules"
    __table_args__ = (
        CheckConstraint("length(kabupaten_code) = 4", name="kabupaten_code"),
        CheckConstraint(
            "quorum_num > 0 AND quorum_den >= quorum_num AND majority_num > 0 "
            "AND majority_den > majority_num",
            name="sane_ratios",
        ),
        CheckConstraint("stale_months BETWEEN 1 AND 24", name="stale_months_range"),
        CheckConstraint("cycle_last_day BETWEEN 1 AND 31", name="cycle_last_day_range"),
    )

    kabupaten_code: Mapped[str] = mapped_column(
        String(4), ForeignKey("regions.code"), primary_key=True
    )
    quorum_num: Mapped[int] = mapped_column(SmallInteger, default=2)
    quorum_den: Mapped[int] = mapped_column(SmallInteger, default=3)
    majority_num: Mapped[int] = mapped_column(SmallInteger, default=1)
    majority_den: Mapped[int] = mapped_column(SmallInteger, default=2)
    # "Mengetahui, Camat …" signature block on the berita acara.
    ba_camat_block: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The villages' public transparency pages (/transparansi/<village>) are shown.
    public_transparency: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # A village with no confirmed meeting for this many months is "at risk of frozen data".
    stale_months: Mapped[int] = mapped_column(SmallInteger, default=3, server_default="3")
    # The meeting cycle: meetings are held on days 1..cycle_last_day of a month.
    cycle_last_day: Mapped[int] = mapped_column(SmallInteger, default=14, server_default="14")

    __scope_column__ = "kabupaten_code"


class ProposalCorrection(Model):
    """A decision reopened before the lock (issue 15): who, when, why, and what the earlier
    decision was. Written once; the berita acara lists them in its minutes as corrections.
    A sealed meeting's rows refuse every change (triggers of migration 0008)."""

    __tablename__ = "proposal_corrections"
    __table_args__ = (CheckConstraint("length(reason) > 0", name="reason_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    # The decision reopened: accepted, method, counts, voters, when and by whom, named votes.
    earlier: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    proposal: Mapped[Proposal] = relationship(lazy="joined")
    author: Mapped[User] = relationship(lazy="joined")
