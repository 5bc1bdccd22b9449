"""The meeting's moves through its states (`states.py` says which are allowed), with the guards
each move needs: voters invited, the day confirmed, every proposal decided, quorum held."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting, MeetingMove
from portal.blueprints.meetings.services.common import MeetingError, audit_meeting, flush_versioned
from portal.blueprints.meetings.services.contradictions import refuse_decided_elsewhere
from portal.blueprints.meetings.services.participants import require_quorum
from portal.blueprints.meetings.services.results import count_open
from portal.extensions import db
from portal.timeutil import local_date, utcnow


def villages_with_frozen_prelist() -> list[str]:
    """Villages whose meeting is under way (`states.PRELIST_FROZEN`): a register import leaves
    their prelist as the meeting saw it (asked through `register.freeze`)."""
    return list(
        db.session.execute(
            select(Meeting.village_code).where(Meeting.state.in_(states.PRELIST_FROZEN)).distinct()
        ).scalars()
    )


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
    by_owner: bool = False,
    confirm_other_day: bool = False,
) -> None:
    """Make a move of the state machine, with its guards; recorded with who and when.

    Lock, confirm and return are made only by the service that owns them (`by_owner`): the
    berita acara job locks once the signed PDF is stored, the camat's review confirms or returns.
    Opening on another day than scheduled needs `confirm_other_day` (the secretary's explicit
    confirmation); the audit entry then keeps both dates."""
    if move_name in states.BY_OWNER_ONLY and not by_owner:
        if move_name == "lock":
            raise MeetingError(_("Musyawarah dikunci dengan membuat berita acara."))
        raise MeetingError(_("Konfirmasi dan pengembalian dilakukan camat di halaman konfirmasi."))
    step = states.check_move(meeting.state, move_name, user.role)
    other_day: dict[str, str] | None = None
    ba = meeting.berita_acara if move_name == "reopen" else None
    if ba is not None and ba.generating:
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
        require_quorum(meeting, _("keputusan musyawarah"))
        refuse_decided_elsewhere(meeting)
        meeting.decided_at = utcnow()
    if move_name == "lock":
        refuse_decided_elsewhere(meeting)
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
    audit_meeting(meeting, f"meeting.{move_name}", details)
    meeting.state = step.target
    try:
        flush_versioned()
    except IntegrityError as error:  # the one-in-session index, raced by another request
        db.session.rollback()
        raise MeetingError(
            _("Desa/kelurahan ini sudah memiliki musyawarah yang berlangsung.")
        ) from error
