"""Walk-ins put right before the lock (issue 15): corrected or removed while no decision counted
them (that the same person never walks in twice is `participants.refuse_second_walk_in`).

Like every service, each function checks the meeting's state, writes the audit entry and
flushes; the request commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import (
    Meeting,
    Participant,
    Proposal,
    Vote,
)
from portal.blueprints.meetings.services.common import (
    MeetingError,
    audit_meeting,
    require_state,
)
from portal.blueprints.meetings.services.participants import (
    ParticipantData,
    clean_participant,
    refuse_second_walk_in,
)
from portal.extensions import db
from portal.personal_data import mask_id


def counted_in_a_decision(meeting: Meeting, participant: Participant) -> bool:
    """Whether a decision counted this walk-in, so that the record can no longer change them.

    A walk-in with voting rights is counted by every decision recorded since they checked in:
    a proposal of the meeting now decided with `decided_at` at or after `checked_in_at` (its
    `voters_present` includes them, recusal not taken into account: the safe side), or any
    named vote they cast (open or closed). A reopened decision no longer counts (its counts are
    cleared). A walk-in without voting rights is never counted by a decision."""
    if db.session.execute(select(Vote.id).where(Vote.participant_id == participant.id)).first():
        return True
    if not participant.votes:
        return False
    decided = select(Proposal.id).where(
        Proposal.meeting_id == meeting.id, Proposal.status == "decided"
    )
    if participant.checked_in_at is not None:
        decided = decided.where(Proposal.decided_at >= participant.checked_in_at)
    return db.session.execute(decided.limit(1)).first() is not None


def _walk_in_changeable(meeting: Meeting, participant: Participant, what: str) -> None:
    require_state(meeting, states.ATTENDANCE_OPEN, what)
    if participant.meeting_id != meeting.id or not participant.walk_in:
        raise MeetingError(_("Hanya peserta tambahan yang dapat diubah di sini."))
    if counted_in_a_decision(meeting, participant):
        raise MeetingError(
            _(
                "%(name)s sudah terhitung dalam keputusan yang dicatat: data peserta tambahan "
                "ini tidak dapat diubah atau dihapus lagi. Buka kembali keputusan itu dahulu "
                "bila perlu.",
                name=participant.name,
            )
        )


def correct_walk_in(
    meeting: Meeting, participant: Participant, data: ParticipantData, *, user: Any
) -> None:
    """Name, unsur, position and NIK of a walk-in, while no decision counted them."""
    _walk_in_changeable(meeting, participant, _("Peserta tambahan"))
    data = clean_participant(data)
    refuse_second_walk_in(meeting, data, exclude=participant)
    changes: dict[str, list[str | None]] = {}
    for name in ("name", "unsur", "position", "nik"):
        before, after = getattr(participant, name), getattr(data, name)
        if before != after:
            # The audit trail keeps NIKs masked (UU 27/2022), as every page not about them does.
            changes[name] = [mask_id(before), mask_id(after)] if name == "nik" else [before, after]
            setattr(participant, name, after)
    if not changes:
        return
    try:
        db.session.flush()
    except IntegrityError as error:  # the NIK index, raced by another request
        db.session.rollback()
        raise MeetingError(_("NIK ini sudah ada di daftar peserta."), "nik") from error
    audit_meeting(
        meeting, "meeting.walk_in_correct", {"participant": participant.id, "changes": changes}
    )


def remove_walk_in(meeting: Meeting, participant: Participant, *, user: Any) -> None:
    """A walk-in recorded by mistake, removed while no decision counted them."""
    _walk_in_changeable(meeting, participant, _("Peserta tambahan"))
    details = {
        "participant": participant.id,
        "name": participant.name,
        "nik": mask_id(participant.nik) if participant.nik else None,
    }
    db.session.delete(participant)
    audit_meeting(meeting, "meeting.walk_in_remove", details)
    db.session.flush()
    db.session.expire(meeting, ["participants"])
