"""A meeting's details: created, edited while the state allows, its berita acara number once
per village and year, its signatories picked from the participants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.meetings.services.common import (
    MeetingError,
    audit_meeting,
    audit_value,
    flush_versioned,
    require_state,
)
from portal.blueprints.meetings.services.rules import rules_for
from portal.extensions import db


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


def update_meeting(meeting: Meeting, data: MeetingData, *, version: int, user: Any) -> None:
    require_state(meeting, states.EDITABLE_DETAILS, _("Data musyawarah"))
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
            changes[name] = [audit_value(before), audit_value(value)]
        setattr(meeting, name, value)
    meeting.number_year = meeting.meeting_date.year
    _check_number_free(meeting)
    audit_meeting(meeting, "meeting.update", {"changes": changes})
    try:
        flush_versioned()
    except IntegrityError as error:  # the number, taken a moment ago by another request
        message = _number_taken(meeting)
        db.session.rollback()
        raise MeetingError(message, "number") from error
