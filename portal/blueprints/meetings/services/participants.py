"""Participants and attendance: who is invited, who walks in, one tap for who is present, and
the quorum counted from them."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Update, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import UNSUR, Meeting, Participant, Vote
from portal.blueprints.meetings.services.common import MeetingError, audit_meeting, require_state
from portal.blueprints.register.values import nik_date_problem, parse_identity_number
from portal.extensions import db
from portal.timeutil import utcnow


@dataclass
class ParticipantData:
    name: str
    unsur: str
    votes: bool = True
    position: str | None = None
    nik: str | None = None
    phone: str | None = None


def clean_participant(data: ParticipantData) -> ParticipantData:
    """The participant's fields trimmed and checked (the NIK as the register checks it)."""
    data.name = (data.name or "").strip()
    if not data.name:
        raise MeetingError(_("Nama peserta wajib diisi."), "name")
    if data.unsur not in UNSUR:
        raise MeetingError(_("Pilih unsur peserta."), "unsur")
    nik = (data.nik or "").strip()
    if nik:
        value, problem = parse_identity_number(nik, "NIK")
        problem = problem or (value and nik_date_problem(value))
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
        require_state(meeting, states.ATTENDANCE_OPEN, _("Peserta tambahan"))
    else:
        require_state(meeting, states.EDITABLE_PARTICIPANTS, _("Daftar undangan"))
    data = clean_participant(data)
    if walk_in:
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
    audit_meeting(
        meeting, "meeting.participant_add", {"participant": participant.id, "walk_in": walk_in}
    )
    return participant


def remove_participant(meeting: Meeting, participant: Participant, *, user: Any) -> None:
    require_state(meeting, states.EDITABLE_DETAILS, _("Daftar undangan"))
    if db.session.execute(select(Vote.id).where(Vote.participant_id == participant.id)).first():
        raise MeetingError(_("Peserta ini sudah memberi suara dan tidak dapat dihapus."))
    db.session.delete(participant)
    audit_meeting(meeting, "meeting.participant_remove", {"participant": participant.id})
    db.session.flush()
    db.session.expire(meeting, ["participants"])  # a loaded list would still hold the deleted one


def copy_previous_participants(meeting: Meeting, *, user: Any) -> int:
    """Invite everyone invited to the village's previous meeting (not its walk-ins)."""
    require_state(meeting, states.EDITABLE_DETAILS, _("Daftar undangan"))
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
    audit_meeting(
        meeting, "meeting.participants_copy", {"from_meeting": previous.id, "added": added}
    )
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


def check_in(
    meeting: Meeting, participant: Participant, *, user: Any, present: bool = True
) -> None:
    """One tap: present (or undo). Idempotent, safe under concurrent taps."""
    require_state(meeting, states.ATTENDANCE_OPEN, _("Kehadiran"))
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
    if cast("CursorResult[Any]", result).rowcount:
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
def _check_in_statement() -> Update:
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
    return count_attendance(meeting, rows)


def count_attendance(meeting: Meeting, rows: Any) -> Attendance:
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


def require_quorum(meeting: Meeting, what: str) -> None:
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


def normalised_name(name: str) -> str:
    """A name as two entries of the same person compare: case, accents, punctuation and spacing
    ignored ("Hj.  Siti  Aminah" = "hj siti aminah")."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def refuse_second_walk_in(
    meeting: Meeting, data: ParticipantData, *, exclude: Participant | None = None
) -> None:
    """The same person does not walk in twice, nor walks in when invited: the same NIK in this
    meeting, or (for an entry without a NIK) the same normalised name as anyone on the list.
    `data` is already cleaned (`clean_participant`)."""
    others = [p for p in meeting.participants if exclude is None or p.id != exclude.id]
    if data.nik:
        same = next((p for p in others if p.nik == data.nik), None)
        if same is not None:
            raise MeetingError(
                _(
                    "NIK ini sudah ada di daftar peserta (%(name)s): catat kehadirannya, jangan "
                    "didaftarkan dua kali.",
                    name=same.name,
                ),
                "nik",
            )
        return
    key = normalised_name(data.name)
    same = next((p for p in others if normalised_name(p.name) == key), None)
    if same is not None:
        raise MeetingError(
            _(
                "%(name)s sudah ada di daftar peserta. Orang yang sama tidak didaftarkan dua "
                "kali; jika orang yang berbeda, isi NIK-nya.",
                name=same.name,
            ),
            "name",
        )
