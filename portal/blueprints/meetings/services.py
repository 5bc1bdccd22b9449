"""The meeting's rules: moves, participants and attendance, quorum, proposals and decisions.

Every function checks the meeting's state through `states`, writes the audit entry and flushes;
the request commits once. Counting rules (quorum, majority, recusal) live here and nowhere else.
"""

from __future__ import annotations

import collections
import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import (
    Boolean,
    DateTime,
    String,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import (
    PROPOSERS,
    REMOVAL_REASONS,
    DecisionClaim,
    KabupatenRules,
    Meeting,
    MeetingMove,
    Participant,
    Proposal,
    Vote,
)
from portal.blueprints.register.models import ACTIVE, Household, Person
from portal.blueprints.register.validation import (
    nik_date_problem,
    padded,
    parse_identity_number,
)
from portal.extensions import db
from portal.timeutil import local_date, utcnow


class MeetingError(ValueError):
    """A rule refused the action; nothing changed. `field` names a form field, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _audit(meeting: Meeting, action: str, details: dict[str, Any] | None = None) -> None:
    """The audit entry of a change to a meeting, in the same transaction."""
    audit.record(
        action,
        object_type="meeting",
        object_id=meeting.id,
        region_code=meeting.village_code,
        details=details,
    )


def _require_state(meeting: Meeting, allowed: tuple[str, ...], what: str) -> None:
    if meeting.state not in allowed:
        raise MeetingError(
            _(
                "%(what)s tidak dapat diubah: musyawarah berstatus %(state)s.",
                what=what,
                state=meeting.state_label,
            )
        )


# --- meeting details and moves -------------------------------------------------------------


@dataclass
class MeetingData:
    number: str
    meeting_date: date
    start_time: time | None
    place: str
    agenda: str | None
    chair_name: str
    notulen_name: str
    period: str
    bpd_name: str | None = None  # the BPD/LPM chair who signs the berita acara


def rules_for(kabupaten_code: str) -> KabupatenRules:
    return db.session.get(KabupatenRules, kabupaten_code) or KabupatenRules(
        kabupaten_code=kabupaten_code,
        quorum_num=2,
        quorum_den=3,
        majority_num=1,
        majority_den=2,
        ba_camat_block=True,
        public_transparency=True,
        stale_months=3,
        cycle_last_day=14,
    )


def _check_data(data: MeetingData) -> None:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", data.period or ""):
        raise MeetingError(_("Periode register ditulis TTTT-BB, misalnya 2026-11."), "period")
    for name in ("number", "place", "chair_name", "notulen_name"):
        if not (getattr(data, name) or "").strip():
            raise MeetingError(_("Wajib diisi."), name)


def create_meeting(village_code: str, data: MeetingData, *, user: Any) -> Meeting:
    _check_data(data)
    rules = rules_for(village_code[:4])
    meeting = Meeting(
        village_code=village_code,
        number=data.number.strip(),
        meeting_date=data.meeting_date,
        start_time=data.start_time,
        place=data.place.strip(),
        agenda=(data.agenda or "").strip() or None,
        chair_name=data.chair_name.strip(),
        notulen_name=data.notulen_name.strip(),
        bpd_name=(data.bpd_name or "").strip() or None,
        number_year=data.meeting_date.year,
        period=data.period,
        state=states.DRAFT,
        quorum_num=rules.quorum_num,
        quorum_den=rules.quorum_den,
        majority_num=rules.majority_num,
        majority_den=rules.majority_den,
        created_by=user.id,
    )
    _check_number_free(meeting)
    db.session.add(meeting)
    _flush_number(meeting)
    audit.record(
        "meeting.create",
        object_type="meeting",
        object_id=meeting.id,
        region_code=village_code,
        details={"number": meeting.number},
    )
    return meeting


def pick_signatories(
    meeting: Meeting,
    data: MeetingData,
    *,
    chair: str | None = None,
    notulen: str | None = None,
    bpd: str | None = None,
) -> None:
    """Fill the signatories' names from the participants picked (by id): the berita acara prints
    a real participant's name under each signature. A blank pick keeps the typed name."""
    people = {str(p.id): p for p in meeting.participants}
    for picked, name in ((chair, "chair_name"), (notulen, "notulen_name"), (bpd, "bpd_name")):
        if not picked:
            continue
        if picked not in people:
            raise MeetingError(_("Pilih peserta musyawarah ini."), name)
        setattr(data, name, people[picked].name)


def _number_taken(meeting: Meeting) -> str:
    return _(
        "Nomor berita acara %(number)s sudah dipakai musyawarah lain di desa/kelurahan ini pada "
        "tahun %(year)d. Gunakan nomor lain.",
        number=meeting.number,
        year=meeting.number_year,
    )


def _check_number_free(meeting: Meeting) -> None:
    """A berita acara number is used once per village and year (the database says so too)."""
    same = select(Meeting.id).where(
        Meeting.village_code == meeting.village_code,
        Meeting.number_year == meeting.number_year,
        Meeting.number == meeting.number,
        Meeting.state != states.CANCELLED,
    )
    if meeting.id is not None:
        same = same.where(Meeting.id != meeting.id)
    with db.session.no_autoflush:  # the changed number is checked before it is written
        taken = db.session.execute(same).first()
    if taken:
        raise MeetingError(_number_taken(meeting), "number")


def _flush_number(meeting: Meeting) -> None:
    """Flush; the unique number raced by another request comes back as the form's message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise MeetingError(_number_taken(meeting), "number") from error


def _plain(value: Any) -> str | None:
    """A value as the audit trail's JSON keeps it (dates and times as ISO text)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def update_meeting(meeting: Meeting, data: MeetingData, *, version: int, user: Any) -> None:
    _require_state(meeting, states.EDITABLE_DETAILS, _("Data musyawarah"))
    if version != meeting.version:
        raise MeetingError(
            _(
                "Data musyawarah ini baru saja diubah orang lain. Muat ulang halaman, periksa "
                "perubahannya, lalu simpan lagi."
            )
        )
    _check_data(data)
    changes: dict[str, list[str | None]] = {}
    for name, value in vars(data).items():
        value = value.strip() if isinstance(value, str) else value
        if name == "bpd_name":
            value = value or None
        before = getattr(meeting, name)
        if before != value:
            changes[name] = [_plain(before), _plain(value)]
        setattr(meeting, name, value)
    meeting.number_year = meeting.meeting_date.year
    _check_number_free(meeting)
    _audit(meeting, "meeting.update", {"changes": changes})
    try:
        _flush_versioned()
    except IntegrityError as error:  # the number, taken a moment ago by another request
        message = _number_taken(meeting)
        db.session.rollback()
        raise MeetingError(message, "number") from error


def _flush_versioned() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        db.session.rollback()
        raise MeetingError(
            _("Data ini baru saja diubah orang lain. Muat ulang halaman lalu coba lagi.")
        ) from error


def opening_day(meeting: Meeting) -> tuple[date, date]:
    """(scheduled date, the date today in the village's zone, WIB/WITA/WIT)."""
    return meeting.meeting_date, local_date(utcnow(), meeting.village_code)


def _dates_phrase(scheduled: date, held: date) -> str:
    return _(
        "dijadwalkan %(scheduled)s, dilaksanakan %(held)s",
        scheduled=format_date(scheduled, "long"),
        held=format_date(held, "long"),
    )


def move(
    meeting: Meeting,
    move_name: str,
    *,
    user: Any,
    note: str | None = None,
    by_job: bool = False,
    confirm_other_day: bool = False,
) -> None:
    """Make a move of the state machine, with its guards; recorded with who and when.

    The lock is made only by the berita acara job (`by_job`), once the signed PDF is stored.
    Opening on another day than scheduled needs `confirm_other_day` (the secretary's explicit
    confirmation); the audit entry then keeps both dates."""
    if move_name in states.BY_JOB_ONLY and not by_job:
        if move_name == "lock":
            raise MeetingError(_("Musyawarah dikunci dengan membuat berita acara."))
        raise MeetingError(_("Konfirmasi dan pengembalian dilakukan camat di halaman konfirmasi."))
    try:
        step = states.check_move(meeting.state, move_name, user.role)
    except states.MoveRefused as refused:
        raise MeetingError(refused.message) from refused
    other_day: dict[str, str] | None = None
    if move_name == "reopen":
        from portal.blueprints.berita_acara.services import generation_pending

        if generation_pending(meeting.id):
            raise MeetingError(_("Berita acara sedang dibuat: musyawarah tidak dapat dibuka."))
    if move_name == "open":
        if not any(p.votes and not p.walk_in for p in meeting.participants):
            raise MeetingError(_("Undang dulu peserta yang memiliki hak suara."))
        busy = db.session.execute(
            select(Meeting.id).where(
                Meeting.village_code == meeting.village_code,
                Meeting.state == states.IN_SESSION,
                Meeting.id != meeting.id,
            )
        ).first()
        if busy:
            raise MeetingError(_("Desa/kelurahan ini sudah memiliki musyawarah yang berlangsung."))
        scheduled, today = opening_day(meeting)
        if today != scheduled:
            if not confirm_other_day:
                raise MeetingError(
                    _(
                        "Musyawarah ini dijadwalkan %(scheduled)s, tetapi hari ini %(today)s. "
                        "Centang konfirmasi bahwa musyawarah dilaksanakan hari ini untuk "
                        "membukanya; tanggal sebenarnya dicatat di berita acara.",
                        scheduled=format_date(scheduled, "long"),
                        today=format_date(today, "long"),
                    ),
                    "confirm_other_day",
                )
            other_day = {
                "scheduled": scheduled.isoformat(),
                "held": today.isoformat(),
                "note": _dates_phrase(scheduled, today),
            }
            note = "; ".join(filter(None, [other_day["note"], note]))
        meeting.opened_at = meeting.opened_at or utcnow()
    if move_name == "decide":
        open_items = count_open(meeting)
        if open_items:
            raise MeetingError(_("Masih ada %(n)d usulan yang belum diputuskan.", n=open_items))
        # A meeting that never had its quorum decided nothing (DOMAIN: meetings never held).
        _quorum_required(meeting, _("keputusan musyawarah"))
        _refuse_decided_elsewhere(meeting)
        meeting.decided_at = utcnow()
    if move_name == "lock":
        _refuse_decided_elsewhere(meeting)
    db.session.add(
        MeetingMove(
            meeting_id=meeting.id,
            move=move_name,
            from_state=meeting.state,
            to_state=step.target,
            user_id=user.id,
            note=note,
        )
    )
    details: dict[str, Any] = {"from": meeting.state, "to": step.target}
    if move_name == "open" and other_day:
        details.update(other_day)
    _audit(meeting, f"meeting.{move_name}", details)
    meeting.state = step.target
    try:
        _flush_versioned()
    except IntegrityError as error:  # the one-in-session index, raced by another request
        db.session.rollback()
        raise MeetingError(
            _("Desa/kelurahan ini sudah memiliki musyawarah yang berlangsung.")
        ) from error


# --- participants and attendance -----------------------------------------------------------


@dataclass
class ParticipantData:
    name: str
    unsur: str
    votes: bool = True
    position: str | None = None
    nik: str | None = None
    phone: str | None = None


def _clean_participant(data: ParticipantData) -> ParticipantData:
    from portal.blueprints.meetings.models import UNSUR

    data.name = (data.name or "").strip()
    if not data.name:
        raise MeetingError(_("Nama peserta wajib diisi."), "name")
    if data.unsur not in UNSUR:
        raise MeetingError(_("Pilih unsur peserta."), "unsur")
    nik = (data.nik or "").strip()
    if nik:
        value, problem = parse_identity_number(nik, "NIK")
        problem = problem or nik_date_problem(value)
        if problem:
            raise MeetingError(problem, "nik")
        data.nik = value
    else:
        data.nik = None
    data.phone = (data.phone or "").strip() or None
    data.position = (data.position or "").strip() or None
    return data


def add_participant(
    meeting: Meeting, data: ParticipantData, *, user: Any, walk_in: bool = False
) -> Participant:
    if walk_in:
        _require_state(meeting, states.ATTENDANCE_OPEN, _("Peserta tambahan"))
    else:
        _require_state(meeting, states.EDITABLE_PARTICIPANTS, _("Daftar undangan"))
    data = _clean_participant(data)
    if walk_in:
        from portal.blueprints.meetings.corrections import refuse_second_walk_in

        refuse_second_walk_in(meeting, data)
    # Through the relationship, so that a `meeting.participants` already loaded includes it.
    participant = Participant(
        meeting=meeting,
        name=data.name,
        unsur=data.unsur,
        votes=data.votes,
        position=data.position,
        nik=data.nik,
        phone=data.phone,
        walk_in=walk_in,
        present=walk_in,
        checked_in_at=utcnow() if walk_in else None,
        checked_in_by=user.id if walk_in else None,
    )
    db.session.add(participant)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise MeetingError(_("NIK ini sudah ada di daftar peserta."), "nik") from error
    _audit(meeting, "meeting.participant_add", {"participant": participant.id, "walk_in": walk_in})
    return participant


def remove_participant(meeting: Meeting, participant: Participant, *, user: Any) -> None:
    _require_state(meeting, states.EDITABLE_DETAILS, _("Daftar undangan"))
    if db.session.execute(select(Vote.id).where(Vote.participant_id == participant.id)).first():
        raise MeetingError(_("Peserta ini sudah memberi suara dan tidak dapat dihapus."))
    db.session.delete(participant)
    _audit(meeting, "meeting.participant_remove", {"participant": participant.id})
    db.session.flush()
    db.session.expire(meeting, ["participants"])  # a loaded list would still hold the deleted one


def copy_previous_participants(meeting: Meeting, *, user: Any) -> int:
    """Invite everyone invited to the village's previous meeting (not its walk-ins)."""
    _require_state(meeting, states.EDITABLE_DETAILS, _("Daftar undangan"))
    previous = db.session.execute(
        select(Meeting)
        .where(
            Meeting.village_code == meeting.village_code,
            Meeting.id != meeting.id,
            Meeting.state != states.CANCELLED,
        )
        .order_by(Meeting.meeting_date.desc(), Meeting.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if previous is None:
        raise MeetingError(_("Belum ada musyawarah sebelumnya di desa/kelurahan ini."))
    added = invite_from(meeting, previous)
    _audit(meeting, "meeting.participants_copy", {"from_meeting": previous.id, "added": added})
    db.session.flush()
    return added


def invite_from(meeting: Meeting, previous: Meeting) -> int:
    """Invite `previous`'s invitees (not its walk-ins) who are not invited yet: the same NIK,
    or without a NIK the same name. No state check, no audit: the callers own those."""
    have_niks = {p.nik for p in meeting.participants if p.nik}
    have_names = {p.name.lower() for p in meeting.participants}
    added = 0
    for old in previous.participants:
        if old.walk_in or (old.nik in have_niks if old.nik else old.name.lower() in have_names):
            continue
        db.session.add(
            Participant(
                meeting=meeting,
                name=old.name,
                unsur=old.unsur,
                votes=old.votes,
                position=old.position,
                nik=old.nik,
                phone=old.phone,
            )
        )
        added += 1
    return added


def check_in(meeting: Meeting, participant: Participant, *, user: Any, present: bool = True):
    """One tap: present (or undo). Idempotent, safe under concurrent taps."""
    _require_state(meeting, states.ATTENDANCE_OPEN, _("Kehadiran"))
    if participant.walk_in and not present:
        raise MeetingError(_("Peserta tambahan selalu tercatat hadir."))
    result = db.session.execute(
        _check_in_statement(),
        {
            "participant": participant.id,
            "present": present,
            "at": utcnow() if present else None,
            "by": user.id if present else None,
        },
    )
    if result.rowcount:
        audit.record(
            "meeting.check_in" if present else "meeting.check_out",
            object_type="meeting",
            object_id=meeting.id,
            region_code=meeting.village_code,
            details={"participant": participant.id},
        )
    db.session.flush()
    # The row now holds `present` whether or not this request changed it: no reload needed for
    # the answer. The times are read again only if someone asks for them.
    set_committed_value(participant, "present", present)
    db.session.expire(participant, ["checked_in_at", "checked_in_by"])


@functools.cache
def _check_in_statement():
    """Built once. Changes the row only if its presence differs (idempotent under double taps)."""
    table = Participant.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("participant"))
        .where(table.c.present.is_distinct_from(bindparam("present")))
        .values(
            present=bindparam("present"),
            checked_in_at=bindparam("at"),
            checked_in_by=bindparam("by"),
        )
    )


@dataclass
class Attendance:
    invited: int
    invited_voters: int
    present: int
    present_invited_voters: int
    present_voters: int
    quorum_needed: int
    quorum: bool


def attendance(meeting: Meeting) -> Attendance:
    rows = db.session.execute(
        select(Participant.votes, Participant.walk_in, Participant.present, func.count())
        .where(Participant.meeting_id == meeting.id)
        .group_by(Participant.votes, Participant.walk_in, Participant.present)
    ).all()
    return _attendance(meeting, rows)


def _attendance(meeting: Meeting, rows: Any) -> Attendance:
    """Attendance from (votes, walk_in, present, count) rows."""
    invited = invited_voters = present = present_invited_voters = present_voters = 0
    for votes, walk_in, is_present, n in rows:
        if not walk_in:
            invited += n
            if votes:
                invited_voters += n
        if is_present:
            present += n
            if votes:
                present_voters += n
                if not walk_in:
                    present_invited_voters += n
    # Quorum: present invited voters ≥ num/den of the invited voters (rounded up).
    needed = -(-invited_voters * meeting.quorum_num // meeting.quorum_den)
    return Attendance(
        invited,
        invited_voters,
        present,
        present_invited_voters,
        present_voters,
        needed,
        invited_voters > 0 and present_invited_voters >= needed,
    )


# --- proposals ------------------------------------------------------------------------------


def prelist(meeting: Meeting):
    """The families the meeting decides about: the village's active register, as moved forward
    by its other locked meetings (a confirmed one has moved the register itself)."""
    return select(Household).where(
        *_on_prelist(meeting.village_code, meeting.id, _decided_before(meeting))
    )


#: "Not decided yet": every other meeting decided so far counts for its list.
_NOT_YET_DECIDED = datetime(9999, 12, 31, tzinfo=UTC)


def _decided_before(meeting: Meeting) -> datetime:
    return meeting.decided_at or _NOT_YET_DECIDED


def _on_prelist(
    village_code: Any, meeting_id: Any = None, decided_before: Any = None
) -> tuple[Any, ...]:
    """The register's active families of the village, less those another meeting of the village
    removed and that is locked but not yet confirmed (the register does not show it yet).
    Only meetings decided before this one count, so that a list once decided stays as it was
    (a later meeting does not change an earlier one's list)."""
    active = (Household.village_code == village_code, Household.status == ACTIVE)
    if meeting_id is None:
        return active
    other = Meeting.__table__.alias("other")
    removed_elsewhere = (
        select(Proposal.household_id)
        .join(other, other.c.id == Proposal.meeting_id)
        .where(
            other.c.village_code == village_code,
            other.c.id != meeting_id,
            # Locked only: a decided meeting may still be reopened and decide otherwise (a
            # contradiction with it is refused at decide and lock, `_refuse_decided_elsewhere`).
            other.c.state == states.LOCKED,
            other.c.decided_at < decided_before,
            Proposal.kind == "keluar",
            Proposal.accepted.is_(True),
            Proposal.household_id.is_not(None),
        )
    )
    return (*active, Household.id.not_in(removed_elsewhere))


# --- one decision per family per period ----------------------------------------------------

LIVE = (states.IN_SESSION, states.DECIDED, states.LOCKED, states.CONFIRMED)


def _decided_elsewhere_message(other: Meeting, count: int = 1) -> str:
    return _(
        "%(n)d keluarga sudah diputuskan dalam musyawarah nomor %(number)s tanggal %(date)s "
        "(periode %(period)s). Satu keluarga hanya diputuskan sekali dalam satu periode; "
        "musyawarah itu harus dikembalikan camat lebih dulu.",
        n=count,
        number=other.number,
        date=format_date(other.meeting_date, "long"),
        period=other.period,
    )


def claims_elsewhere(meeting: Meeting, household_ids: list[int]) -> dict[int, Meeting]:
    """The families among `household_ids` decided by another live meeting of the village and
    period, with that meeting."""
    found: dict[int, Meeting] = {}
    for start in range(0, len(household_ids), 900):
        rows = db.session.execute(
            select(DecisionClaim.household_id, Meeting)
            .join(Meeting, Meeting.id == DecisionClaim.meeting_id)
            .where(
                DecisionClaim.village_code == meeting.village_code,
                DecisionClaim.period == meeting.period,
                DecisionClaim.household_id.in_(household_ids[start : start + 900]),
                DecisionClaim.meeting_id != meeting.id,
                Meeting.state.in_(LIVE),
            )
        )
        found.update({household_id: other for household_id, other in rows})
    return found


def _claim_families(meeting: Meeting, proposals: list[Proposal]) -> None:
    """Record that the meeting decides these families for its period; refused, with the other
    meeting named, if another live meeting of the period decided one of them."""
    ids = [p.household_id for p in proposals if p.household_id is not None]
    if not ids:
        return
    with db.session.no_autoflush:
        taken = claims_elsewhere(meeting, ids)
        if taken:
            other = next(iter(taken.values()))
            raise MeetingError(_decided_elsewhere_message(other, len(taken)))
        mine: dict[int, DecisionClaim] = {}
        stale: list[int] = []
        for start in range(0, len(ids), 900):
            for claim in db.session.execute(
                select(DecisionClaim).where(
                    DecisionClaim.village_code == meeting.village_code,
                    DecisionClaim.period == meeting.period,
                    DecisionClaim.household_id.in_(ids[start : start + 900]),
                )
            ).scalars():
                if claim.meeting_id == meeting.id:
                    mine[claim.household_id] = claim
                else:  # a claim left by a meeting no longer live
                    stale.append(claim.id)
    if stale:
        db.session.execute(delete(DecisionClaim).where(DecisionClaim.id.in_(stale)))
    for proposal in proposals:
        if proposal.household_id is None:
            continue
        claim = mine.get(proposal.household_id)
        if claim is not None:
            claim.proposal_id = proposal.id
            continue
        db.session.add(
            DecisionClaim(
                village_code=meeting.village_code,
                period=meeting.period,
                household_id=proposal.household_id,
                meeting_id=meeting.id,
                proposal_id=proposal.id,
            )
        )
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # another meeting claimed a family a moment ago
        raise MeetingError(
            _("Keluarga ini baru saja diputuskan dalam musyawarah lain periode ini.")
        ) from error


def _refuse_decided_elsewhere(meeting: Meeting) -> None:
    """Deciding or locking a meeting whose decided families another live meeting of the period
    decided too is refused, naming it."""
    ids = list(
        db.session.execute(
            select(Proposal.household_id).where(
                Proposal.meeting_id == meeting.id,
                Proposal.status == "decided",
                Proposal.household_id.is_not(None),
            )
        ).scalars()
    )
    taken = claims_elsewhere(meeting, ids)
    if taken:
        other = next(iter(taken.values()))
        raise MeetingError(_decided_elsewhere_message(other, len(taken)))
    # A family this meeting keeps (no proposal: tetap) that another live meeting of the period
    # removes, or the other way round: one of the two must be returned (or reopened) first.
    found = contradictions(meeting)
    if found:
        other = db.session.get(Meeting, found[0].other_id)
        raise MeetingError(
            _decided_elsewhere_message(other, len({c.kk for c in found if c.other_id == other.id}))
        )


@dataclass
class Contradiction:
    """A family the meeting decides otherwise than another live meeting of its period."""

    kk: str
    head_name: str | None
    outcome: str  # tetap, keluar or perbaikan in this meeting
    other_id: int
    other_number: str
    other_date: date
    other_outcome: str


def contradictions(meeting: Meeting) -> list[Contradiction]:
    """Families this meeting lists in one category (tetap, keluar, perbaikan) and another
    decided, locked or confirmed meeting of the same village and period lists in another: what
    the camat must see before confirming. Each meeting is read as signed once sealed."""
    from portal.blueprints.meetings import as_signed

    others = (
        db.session.execute(
            select(Meeting)
            .where(
                Meeting.village_code == meeting.village_code,
                Meeting.period == meeting.period,
                Meeting.id != meeting.id,
                Meeting.state.in_((states.DECIDED, states.LOCKED, states.CONFIRMED)),
            )
            .order_by(Meeting.meeting_date, Meeting.id)
        )
        .scalars()
        .all()
    )
    if not others:
        return []

    def outcomes(subject: Meeting) -> dict[str, tuple[str, str | None]]:
        lists, _signed = as_signed.decided_lists(subject)
        return {
            row["kk"]: (category, row.get("head_name"))
            for category in ("tetap", "keluar", "perbaikan")
            for row in lists.get(category, [])
        }

    mine = outcomes(meeting)
    found = []
    for other in others:
        for kk, (their_outcome, _head) in outcomes(other).items():
            # Kept (tetap, perbaikan) against removed (keluar): a corrected family that another
            # meeting merely did not discuss stays on the register either way.
            if kk in mine and (mine[kk][0] == "keluar") != (their_outcome == "keluar"):
                found.append(
                    Contradiction(
                        kk=kk,
                        head_name=mine[kk][1],
                        outcome=mine[kk][0],
                        other_id=other.id,
                        other_number=other.number,
                        other_date=other.meeting_date,
                        other_outcome=their_outcome,
                    )
                )
    return sorted(found, key=lambda c: (c.other_id, c.kk))


def add_removal(
    meeting: Meeting,
    household: Household,
    *,
    reason: str,
    reason_text: str | None,
    proposer: str,
    proposer_name: str | None,
    note: str | None,
    user: Any,
) -> Proposal:
    _require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    if reason not in REMOVAL_REASONS:
        raise MeetingError(_("Pilih alasan keluar."), "reason")
    if reason == "lainnya" and not (reason_text or "").strip():
        raise MeetingError(_("Tuliskan alasan lainnya."), "reason_text")
    return _new_proposal(
        meeting,
        household,
        "keluar",
        user=user,
        reason=reason,
        reason_text=(reason_text or "").strip() or None,
        proposer=proposer,
        proposer_name=proposer_name,
        note=note,
    )


CORRECTABLE = ("alamat", "dusun", "rt", "rw")


def add_correction(
    meeting: Meeting,
    household: Household,
    *,
    changes: dict[str, str],
    remove_members: list[str],
    proposer: str,
    proposer_name: str | None,
    note: str | None,
    user: Any,
    add_members: list[dict[str, str]] | None = None,
) -> Proposal:
    """Perbaikan: field changes shown before → after, members removed (by NIK) or added."""
    _require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    # RT/RW as the import keeps them: "2" is RT 002.
    proposed = {
        name: (padded(value) or "") if name in ("rt", "rw") else value.strip()
        for name, value in changes.items()
        if name in CORRECTABLE and value is not None
    }
    diff = {
        name: [getattr(household, name), value]
        for name, value in proposed.items()
        if value != (getattr(household, name) or "")
    }
    member_niks = {m.nik for m in household.members}
    gone = [nik for nik in remove_members if nik in member_niks]
    added = _clean_members(add_members or [], field="new_members")
    _check_not_proposed(meeting, added, field="new_members")
    if not diff and not gone and not added:
        raise MeetingError(_("Tidak ada perubahan yang diusulkan."))
    details = {"fields": diff, "members_removed": gone, "members_added": added}
    return _new_proposal(
        meeting,
        household,
        "perbaikan",
        user=user,
        details=details,
        proposer=proposer,
        proposer_name=proposer_name,
        note=note,
    )


def _clean_members(members: list[dict[str, str]], *, field: str) -> list[dict[str, Any]]:
    """New members, validated like imported rows: NIK structure, not twice, not in the register."""
    clean = []
    seen: set[str] = set()
    for member in members:
        nik, problem = parse_identity_number(member.get("nik", ""), "NIK")
        problem = problem or (nik and nik_date_problem(nik))
        if problem:
            raise MeetingError(problem, field)
        if nik in seen:
            raise MeetingError(_("NIK yang sama tercantum dua kali."), field)
        if db.session.execute(select(Person.id).where(Person.nik == nik)).first():
            raise MeetingError(_("NIK %(nik)s sudah terdaftar di register.", nik=nik), field)
        name = (member.get("name") or "").strip()
        if not name:
            raise MeetingError(_("Nama anggota wajib diisi."), field)
        seen.add(nik)
        clean.append(
            {
                "nik": nik,
                "name": name,
                "relation": (member.get("relation") or "").strip().upper() or None,
            }
        )
    return clean


def _proposed_details(meeting: Meeting) -> list[dict[str, Any] | None]:
    return list(
        db.session.execute(
            select(Proposal.details).where(
                Proposal.meeting_id == meeting.id, Proposal.kind.in_(("baru", "perbaikan"))
            )
        ).scalars()
    )


def _check_not_proposed(meeting: Meeting, members: list[dict[str, Any]], *, field: str) -> None:
    """Within one meeting, as within one import file, a new person is proposed once."""
    if not members:
        return
    taken = {
        m["nik"]
        for details in _proposed_details(meeting)
        for m in (details or {}).get("members", []) + (details or {}).get("members_added", [])
    }
    for member in members:
        if member["nik"] in taken:
            raise MeetingError(
                _(
                    "NIK %(nik)s sudah tercantum di usulan lain dalam musyawarah ini.",
                    nik=member["nik"],
                ),
                field,
            )


def parse_member_lines(text: str) -> list[dict[str, str]]:
    """Lines `NIK; nama; hubungan` as typed into the proposal forms."""
    members = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        members.append(
            {
                "nik": parts[0],
                "name": parts[1] if len(parts) > 1 else "",
                "relation": parts[2] if len(parts) > 2 else "",
            }
        )
    return members


def add_new_family(
    meeting: Meeting,
    *,
    kk: str,
    alamat: str | None,
    rt: str | None,
    rw: str | None,
    members: list[dict[str, str]],
    proposer: str,
    proposer_name: str | None,
    note: str | None,
    user: Any,
) -> Proposal:
    """Usulan baru: a family with its members, validated like an imported row."""
    _require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    value, problem = parse_identity_number(kk, "No. KK")
    if problem:
        raise MeetingError(problem, "kk")
    if db.session.execute(select(Household.id).where(Household.kk == value)).first():
        raise MeetingError(_("No. KK ini sudah ada di register."), "kk")
    if not members:
        raise MeetingError(_("Isi minimal satu anggota keluarga."), "members")
    if any((d or {}).get("kk") == value for d in _proposed_details(meeting)):
        raise MeetingError(_("Keluarga ini sudah memiliki usulan di musyawarah ini."), "kk")
    clean = _clean_members(members, field="members")
    _check_not_proposed(meeting, clean, field="members")
    details = {"kk": value, "alamat": alamat, "rt": padded(rt), "rw": padded(rw), "members": clean}
    return _new_proposal(
        meeting,
        None,
        "baru",
        user=user,
        details=details,
        proposer=proposer,
        proposer_name=proposer_name,
        note=note,
    )


PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
PHOTO_MAX = 5 * 1024 * 1024


def attach_photo(proposal: Proposal, data: bytes) -> None:
    """Photo evidence: JPEG or PNG by content (not by name), at most 5 MB."""
    from portal.blueprints.meetings.models import ProposalPhoto

    if not data:
        return
    if len(data) > PHOTO_MAX:
        raise MeetingError(_("Foto terlalu besar (maksimal 5 MB)."), "photo")
    mimetype = next((m for magic, m in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if mimetype is None:
        raise MeetingError(_("Foto harus berformat JPEG atau PNG."), "photo")
    existing = db.session.get(ProposalPhoto, proposal.id)
    if existing is None:
        db.session.add(ProposalPhoto(proposal_id=proposal.id, mimetype=mimetype, content=data))
    else:
        existing.mimetype, existing.content = mimetype, data
    proposal.has_photo = True
    db.session.flush()


def _new_proposal(
    meeting: Meeting, household: Household | None, kind: str, *, user: Any, **values: Any
) -> Proposal:
    if household is not None and household.village_code != meeting.village_code:
        raise MeetingError(_("Keluarga ini bukan dari desa/kelurahan musyawarah ini."))
    if household is not None and household.status != ACTIVE:  # not on the prelist
        raise MeetingError(_("Keluarga ini tidak aktif di register."))
    on_prelist = (
        household is None
        or db.session.execute(prelist(meeting).where(Household.id == household.id)).first()
    )
    if not on_prelist:  # removed by another locked meeting: it would vanish from the lists
        raise MeetingError(
            _("Keluarga ini sudah dikeluarkan oleh musyawarah lain yang sudah dikunci.")
        )
    if household is not None:
        other = claims_elsewhere(meeting, [household.id]).get(household.id)
        if other is not None:
            raise MeetingError(_decided_elsewhere_message(other))
    if values.get("proposer") not in PROPOSERS:
        raise MeetingError(_("Pilih siapa yang mengusulkan."), "proposer")
    proposal = Proposal(
        meeting_id=meeting.id,
        household_id=household.id if household else None,
        kind=kind,
        created_by=user.id,
        **values,
    )
    db.session.add(proposal)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise MeetingError(_("Keluarga ini sudah memiliki usulan di musyawarah ini.")) from error
    _audit(meeting, "meeting.proposal_add", {"proposal": proposal.id, "kind": kind})
    return proposal


def withdraw_proposal(meeting: Meeting, proposal: Proposal, *, user: Any) -> None:
    _require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    if proposal.status != "open":
        raise MeetingError(_("Usulan yang sudah diputuskan tidak dapat ditarik."))
    if db.session.execute(select(Vote.id).where(Vote.proposal_id == proposal.id)).first():
        raise MeetingError(_("Usulan yang sudah dipilih tidak dapat ditarik."))
    from portal.blueprints.meetings.corrections import has_corrections

    if has_corrections(proposal):  # the correction stays on the record, with its proposal
        raise MeetingError(_("Usulan yang keputusannya pernah dikoreksi tidak dapat ditarik."))
    db.session.delete(proposal)
    _audit(meeting, "meeting.proposal_withdraw", {"proposal": proposal.id})
    db.session.flush()


def set_disputed(meeting: Meeting, proposal: Proposal, disputed: bool, *, user: Any) -> None:
    _require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    if proposal.status != "open":
        raise MeetingError(_("Usulan ini sudah diputuskan."))
    if proposal.vote_mode == "named" and not disputed:
        raise MeetingError(_named_vote_under_way())
    before = proposal.disputed
    proposal.disputed = disputed
    _flush_versioned()
    if before != disputed:
        _audit(
            meeting, "meeting.proposal_disputed", {"proposal": proposal.id, "disputed": disputed}
        )


# --- decisions ------------------------------------------------------------------------------


def _family_niks(proposal: Proposal, members_by_household: dict[int, set[str]] | None = None):
    """NIKs of the family under discussion: its members, plus members a proposal would add."""
    details = proposal.details or {}
    if proposal.household_id is None:
        niks = {m["nik"] for m in details.get("members", [])}
    elif members_by_household is not None:
        niks = set(members_by_household.get(proposal.household_id, set()))
    else:
        # The family's members as loaded once for the request (the page shows them too).
        niks = {member.nik for member in proposal.household.members}
    niks.update(m["nik"] for m in details.get("members_added", []))
    return niks


def recused_ids(
    meeting: Meeting, proposal: Proposal, members_by_household: dict[int, set[str]] | None = None
) -> set[int]:
    """Participants of the family under discussion (same NIK as a member) do not vote on it."""
    niks = _family_niks(proposal, members_by_household)
    return {p.id for p in meeting.participants if p.nik and p.nik in niks}


def eligible_voters(meeting: Meeting, proposal: Proposal) -> list[Participant]:
    recused = recused_ids(meeting, proposal)
    return [p for p in meeting.participants if p.present and p.votes and p.id not in recused]


def _decide(proposal: Proposal, accepted: bool, method: str, *, user: Any, voters: int) -> None:
    proposal.status = "decided"
    proposal.accepted = accepted
    proposal.method = method
    proposal.voters_present = voters
    proposal.decided_at = utcnow()
    proposal.decided_by = user.id


def _named_vote_under_way() -> str:
    return _(
        "Pemungutan suara bernama sedang berjalan untuk usulan ini: tutup pemungutan suaranya "
        "untuk memutuskan."
    )


def _quorum_required(meeting: Meeting, what: str) -> None:
    """A decision of a meeting without quorum is no decision: refused, for every method."""
    state = attendance(meeting)
    if not state.quorum:
        raise MeetingError(
            _(
                "Kuorum belum tercapai (hadir %(n)d dari %(need)d pemilih undangan yang "
                "diperlukan): %(what)s tidak dapat dicatat.",
                n=state.present_invited_voters,
                need=state.quorum_needed,
                what=what,
            )
        )


def _open_for_decision(meeting: Meeting, proposal: Proposal) -> None:
    _require_state(meeting, states.DECISIONS_OPEN, _("Keputusan"))
    if proposal.status != "open":
        raise MeetingError(_("Usulan ini sudah diputuskan."))


def decide_by_consensus(meeting: Meeting, proposal: Proposal, *, user: Any) -> None:
    """Musyawarah mufakat: the chair records that all present agree; only while quorum holds.
    A recorded objection (`disputed`) means there is no consensus: decided by a vote."""
    _open_for_decision(meeting, proposal)
    if proposal.vote_mode == "named":
        raise MeetingError(_named_vote_under_way())
    if proposal.disputed:
        raise MeetingError(
            _(
                "Ada keberatan atas usulan ini: mufakat tidak tercapai. Putuskan dengan "
                "pemungutan suara (hitungan suara atau suara bernama)."
            )
        )
    if not attendance(meeting).quorum:
        raise MeetingError(_("Kuorum belum tercapai: mufakat tidak dapat dicatat."))
    _claim_families(meeting, [proposal])
    _decide(proposal, True, "mufakat", user=user, voters=len(eligible_voters(meeting, proposal)))
    _audit(meeting, "meeting.decide_consensus", {"proposal": proposal.id})
    _flush_versioned()


def majority_reached(meeting: Meeting, yes: int, voters: int) -> bool:
    """More than num/den of the present (non-recused) voters; abstentions count as present."""
    return voters > 0 and yes * meeting.majority_den > voters * meeting.majority_num


def record_tally(
    meeting: Meeting, proposal: Proposal, *, yes: int, no: int, abstain: int, user: Any
) -> None:
    """Counts from a show of hands; their sum cannot exceed the present voters."""
    _open_for_decision(meeting, proposal)
    if proposal.vote_mode == "named":
        raise MeetingError(_named_vote_under_way())
    if min(yes, no, abstain) < 0:
        raise MeetingError(_("Jumlah suara tidak boleh negatif."))
    voters = len(eligible_voters(meeting, proposal))
    if voters == 0:
        raise MeetingError(_("Tidak ada peserta berhak suara yang hadir."))
    _quorum_required(meeting, _("hasil suara"))
    if yes + no + abstain > voters:
        raise MeetingError(
            _(
                "Jumlah suara (%(sum)d) melebihi peserta berhak suara yang hadir (%(n)d).",
                sum=yes + no + abstain,
                n=voters,
            )
        )
    _claim_families(meeting, [proposal])
    proposal.votes_yes, proposal.votes_no, proposal.votes_abstain = yes, no, abstain
    _decide(proposal, majority_reached(meeting, yes, voters), "tally", user=user, voters=voters)
    _audit(
        meeting,
        "meeting.decide_tally",
        {"proposal": proposal.id, "yes": yes, "no": no, "abstain": abstain},
    )
    _flush_versioned()


def open_named_vote(meeting: Meeting, proposal: Proposal, *, user: Any) -> None:
    _open_for_decision(meeting, proposal)
    proposal.vote_mode = "named"
    proposal.disputed = True
    _flush_versioned()
    _audit(meeting, "meeting.named_vote_open", {"proposal": proposal.id})


def cast_vote(
    meeting: Meeting, proposal: Proposal, participant: Participant, choice: str, *, user: Any
) -> None:
    """A named vote; one per voter per item (a database constraint), changeable until closed."""
    _open_for_decision(meeting, proposal)
    if proposal.vote_mode != "named":
        raise MeetingError(_("Pemungutan suara bernama belum dibuka untuk usulan ini."))
    if choice not in ("setuju", "tidak_setuju", "abstain"):
        raise MeetingError(_("Pilihan suara tidak dikenal."))
    if participant.meeting_id != meeting.id or not (participant.present and participant.votes):
        raise MeetingError(_("Peserta ini tidak hadir atau tidak memiliki hak suara."))
    if participant.id in recused_ids(meeting, proposal):
        raise MeetingError(_("Peserta ini anggota keluarga yang dibahas dan tidak ikut memilih."))
    key = {"proposal": proposal.id, "participant": participant.id}
    changed = db.session.execute(
        _change_vote_statement(), {**key, "choice": choice, "at": utcnow()}
    ).rowcount
    if not changed:
        try:
            with db.session.begin_nested():
                db.session.add(
                    Vote(proposal_id=proposal.id, participant_id=participant.id, choice=choice)
                )
        except IntegrityError:
            # Another request inserted this voter's vote a moment ago: this one changes it.
            db.session.execute(_change_vote_statement(), {**key, "choice": choice, "at": utcnow()})
    _audit(
        meeting,
        "meeting.vote",
        {"proposal": proposal.id, "participant": participant.id, "choice": choice},
    )
    db.session.flush()


@functools.cache
def _change_vote_statement():
    table = Vote.__table__
    return (
        update(table)
        .where(
            table.c.proposal_id == bindparam("proposal"),
            table.c.participant_id == bindparam("participant"),
        )
        .values(choice=bindparam("choice"), updated_at=bindparam("at"))
    )


def named_choices(proposal: Proposal) -> dict[int, str]:
    """Each voter's current choice in a named vote (shown as the pressed button)."""
    rows = db.session.execute(
        select(Vote.participant_id, Vote.choice).where(Vote.proposal_id == proposal.id)
    )
    return {participant_id: choice for participant_id, choice in rows}


def named_tally(proposal: Proposal, choices: dict[int, str] | None = None) -> dict[str, int]:
    """The counts of a named vote, from each voter's choice (`named_choices`; read here unless
    the caller has them already)."""
    if choices is None:
        choices = named_choices(proposal)
    counts = collections.Counter(choices.values())
    return {choice: counts.get(choice, 0) for choice in ("setuju", "tidak_setuju", "abstain")}


def close_named_vote(meeting: Meeting, proposal: Proposal, *, user: Any) -> None:
    _open_for_decision(meeting, proposal)
    if proposal.vote_mode != "named":
        raise MeetingError(_("Pemungutan suara bernama belum dibuka untuk usulan ini."))
    eligible = eligible_voters(meeting, proposal)
    allowed = {p.id for p in eligible}
    counts = {"setuju": 0, "tidak_setuju": 0, "abstain": 0}
    for vote in db.session.execute(select(Vote).where(Vote.proposal_id == proposal.id)).scalars():
        if vote.participant_id in allowed:  # a voter who left meanwhile no longer counts
            counts[vote.choice] += 1
    voters = len(eligible)
    if voters == 0:
        raise MeetingError(_("Tidak ada peserta berhak suara yang hadir."))
    _quorum_required(meeting, _("hasil suara"))
    _claim_families(meeting, [proposal])
    proposal.votes_yes = counts["setuju"]
    proposal.votes_no = counts["tidak_setuju"]
    proposal.votes_abstain = counts["abstain"]
    _decide(
        proposal,
        majority_reached(meeting, counts["setuju"], voters),
        "named",
        user=user,
        voters=voters,
    )
    _audit(meeting, "meeting.decide_named", {"proposal": proposal.id, **counts})
    _flush_versioned()


def batch_candidates(meeting: Meeting):
    """The proposals a batch decision would decide: open, undisputed, no named vote opened."""
    return select(Proposal).where(
        Proposal.meeting_id == meeting.id,
        Proposal.status == "open",
        Proposal.disputed.is_(False),
        Proposal.vote_mode.is_(None),
    )


def decide_batch(meeting: Meeting, *, user: Any, expected: int | None = None) -> int:
    """The undisputed open proposals, agreed by consensus in one act (quorum required).
    `expected`: the number the secretary confirmed; refused if the list changed meanwhile."""
    _require_state(meeting, states.DECISIONS_OPEN, _("Keputusan"))
    if not attendance(meeting).quorum:
        raise MeetingError(_("Kuorum belum tercapai: mufakat tidak dapat dicatat."))
    items = db.session.execute(batch_candidates(meeting)).scalars().all()
    if not items:
        raise MeetingError(_("Tidak ada usulan tanpa keberatan yang menunggu keputusan."))
    if expected is not None and expected != len(items):
        raise MeetingError(
            _(
                "Daftar usulan berubah sejak dikonfirmasi (%(confirmed)d, sekarang %(n)d): "
                "periksa lagi lalu konfirmasi.",
                confirmed=expected,
                n=len(items),
            )
        )
    # One query for the members of every family in the batch, not one per proposal.
    members: dict[int, set[str]] = {}
    household_ids = [p.household_id for p in items if p.household_id is not None]
    for start in range(0, len(household_ids), 900):
        for household_id, nik in db.session.execute(
            select(Person.household_id, Person.nik).where(
                Person.household_id.in_(household_ids[start : start + 900])
            )
        ):
            members.setdefault(household_id, set()).add(nik)
    _claim_families(meeting, items)
    voters = [p for p in meeting.participants if p.present and p.votes]
    for proposal in items:
        recused = recused_ids(meeting, proposal, members)
        _decide(
            proposal, True, "batch", user=user, voters=sum(1 for p in voters if p.id not in recused)
        )
    _audit(meeting, "meeting.decide_batch", {"proposals": [p.id for p in items]})
    _flush_versioned()
    return len(items)


def corrections(meeting: Meeting) -> list[Any]:
    """The decisions reopened before the lock, oldest first (`corrections.corrections`)."""
    from portal.blueprints.meetings.corrections import corrections as listed

    return listed(meeting)


# --- what the meeting page shows ----------------------------------------------------------


def count_open(meeting: Meeting) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Proposal)
            .where(Proposal.meeting_id == meeting.id, Proposal.status == "open")
        )
        or 0
    )


@dataclass
class Summary:
    attendance: Attendance
    families: int
    proposals: int
    decided: int
    open: int
    tetap: int
    keluar_by_reason: dict[str, int] = field(default_factory=dict)
    baru: int = 0
    perbaikan: int = 0


@functools.cache
def _summary_statement():
    """The summary's three counts in one statement, one round trip: the prelist's families, the
    proposals by kind, reason, status and outcome, the participants by vote, walk-in and presence.
    Built once (a request only binds :meeting and :village); rows tagged f, p, a."""
    text, flag = cast(null(), String), cast(null(), Boolean)
    families = (
        select(literal_column("'f'"), text, text, text, flag, flag, flag, flag, func.count())
        .select_from(Household)
        .where(
            *_on_prelist(
                bindparam("village"),
                bindparam("meeting"),
                bindparam("decided_before", type_=DateTime(timezone=True)),
            )
        )
    )
    proposals = (
        select(
            literal_column("'p'"),
            Proposal.kind,
            Proposal.reason,
            Proposal.status,
            Proposal.accepted,
            flag,
            flag,
            flag,
            func.count(),
        )
        .where(Proposal.meeting_id == bindparam("meeting"))
        .group_by(Proposal.kind, Proposal.reason, Proposal.status, Proposal.accepted)
    )
    people = (
        select(
            literal_column("'a'"),
            text,
            text,
            text,
            flag,
            Participant.votes,
            Participant.walk_in,
            Participant.present,
            func.count(),
        )
        .where(Participant.meeting_id == bindparam("meeting"))
        .group_by(Participant.votes, Participant.walk_in, Participant.present)
    )
    return union_all(families, proposals, people)


def summary(meeting: Meeting) -> Summary:
    """Counts per category as the meeting stands: accepted proposals take effect; a family with
    no accepted proposal stays (tetap). The families counted are `prelist(meeting)`'s."""
    families, rows, people = 0, [], []
    for tag, kind, reason, status, accepted, votes, walk_in, present, n in db.session.execute(
        _summary_statement(),
        {
            "village": meeting.village_code,
            "meeting": meeting.id,
            "decided_before": _decided_before(meeting),
        },
    ):
        if tag == "f":
            families = n
        elif tag == "p":
            rows.append((kind, reason, status, accepted, n))
        else:
            people.append((votes, walk_in, present, n))
    result = Summary(_attendance(meeting, people), families, 0, 0, 0, families)
    for kind, reason, status, accepted, n in rows:
        result.proposals += n
        if status == "decided":
            result.decided += n
        else:
            result.open += n
        if not accepted:
            continue
        if kind == "keluar":
            result.keluar_by_reason[reason] = result.keluar_by_reason.get(reason, 0) + n
            result.tetap -= n
        elif kind == "baru":
            result.baru += n
        else:
            result.perbaikan += n
            result.tetap -= n
    return result


def decided_list(meeting: Meeting) -> dict[str, list[Any]]:
    """Who stays, leaves (with reason), is added, is corrected: what the berita acara locks."""
    accepted_rows = (
        db.session.execute(
            select(Proposal)
            .where(Proposal.meeting_id == meeting.id, Proposal.accepted.is_(True))
            .order_by(Proposal.id)
        )
        .scalars()
        .all()
    )
    accepted = {p.household_id: p for p in accepted_rows if p.household_id is not None}
    result: dict[str, list[Any]] = {"tetap": [], "keluar": [], "baru": [], "perbaikan": []}
    families = prelist(meeting).order_by(Household.kk).options(selectinload(Household.members))
    for household in db.session.execute(families).scalars():
        proposal = accepted.get(household.id)
        if proposal is None:
            result["tetap"].append(household)
        else:
            result[proposal.kind].append((household, proposal))
    result["baru"] = [p for p in accepted_rows if p.household_id is None]
    return result


def set_rules(
    kabupaten_code: str,
    *,
    quorum: tuple[int, int],
    majority: tuple[int, int],
    user: Any,
    camat_block: bool | None = None,
    cycle_last_day: int | None = None,
    stale_months: int | None = None,
    public_transparency: bool | None = None,
) -> KabupatenRules:
    """The kabupaten's meeting rules; meetings created afterwards use them."""
    if not (0 < quorum[0] <= quorum[1]):
        raise MeetingError(_("Kuorum harus pecahan antara 0 dan 1, misalnya 2/3."))
    if not (0 < majority[0] < majority[1]):
        raise MeetingError(_("Keputusan suara harus pecahan di bawah 1, misalnya 1/2."))
    if 2 * majority[0] < majority[1]:  # 1/99 let a handful of votes decide for the village
        raise MeetingError(
            _("Keputusan suara sekurang-kurangnya 1/2 dari suara, misalnya 1/2 atau 2/3.")
        )
    rules = db.session.get(KabupatenRules, kabupaten_code)
    before = None
    if rules is None:
        rules = KabupatenRules(kabupaten_code=kabupaten_code)
        db.session.add(rules)
    else:
        before = [rules.quorum_num, rules.quorum_den, rules.majority_num, rules.majority_den]
    rules.quorum_num, rules.quorum_den = quorum
    rules.majority_num, rules.majority_den = majority
    if cycle_last_day is not None and not 1 <= cycle_last_day <= 31:
        raise MeetingError(_("Jendela siklus: isi tanggal 1–31."))
    if stale_months is not None and not 1 <= stale_months <= 24:
        raise MeetingError(_("Batas data beku: isi 1–24 bulan."))
    settings = {
        "ba_camat_block": camat_block,
        "cycle_last_day": cycle_last_day,
        "stale_months": stale_months,
        "public_transparency": public_transparency,
    }
    for name, value in settings.items():
        if value is not None:
            setattr(rules, name, value)
    audit.record(
        "meeting.rules",
        object_type="kabupaten_rules",
        object_id=kabupaten_code,
        region_code=kabupaten_code,
        details={
            "before": before,
            "after": [*quorum, *majority],
            **{name: value for name, value in settings.items() if value is not None},
            "camat_block": camat_block,
        },
    )
    db.session.flush()
    return rules
