"""Mistakes put right before the lock (issue 15): a decision reopened with a reason, walk-ins
corrected or removed while no decision counted them, and the same person never walked in twice.

Like `services`, every function checks the meeting's state, writes the audit entry and flushes;
the request commits. Once the berita acara locks the meeting nothing here may run (the state
check refuses it, and the database triggers of migrations 0004/0008 refuse the rows).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from portal.blueprints.meetings import services, states
from portal.blueprints.meetings.models import (
    DecisionClaim,
    Meeting,
    Participant,
    Proposal,
    ProposalCorrection,
    Vote,
)
from portal.blueprints.meetings.services.common import (
    audit_meeting,
    audit_value,
    flush_versioned,
    require_state,
)
from portal.blueprints.meetings.services.participants import clean_participant
from portal.extensions import db
from portal.personal_data import mask_id

REASON_MAX = 1000


# --- a decision reopened --------------------------------------------------------------------


def _earlier(proposal: Proposal) -> dict[str, Any]:
    """The decision as it stood, for the record: outcome, method, counts, who decided, and each
    named vote (with the voter's name: a walk-in may be removed later)."""
    named = db.session.execute(
        select(Vote.participant_id, Participant.name, Vote.choice)
        .join(Participant, Participant.id == Vote.participant_id)
        .where(Vote.proposal_id == proposal.id)
        .order_by(Vote.participant_id)
    ).all()
    return {
        "accepted": proposal.accepted,
        "method": proposal.method,
        "votes_yes": proposal.votes_yes,
        "votes_no": proposal.votes_no,
        "votes_abstain": proposal.votes_abstain,
        "voters_present": proposal.voters_present,
        "disputed": proposal.disputed,
        "decided_at": audit_value(proposal.decided_at),
        "decided_by": proposal.decided_by,
        "named_votes": [
            {"participant": pid, "name": name, "choice": choice} for pid, name, choice in named
        ],
    }


def reopen_decision(meeting: Meeting, proposal: Proposal, *, reason: str, user: Any) -> None:
    """Put one decided proposal back to open while the meeting is in session (also after
    "Buka kembali"): its named votes and counts are cleared, the objection (`disputed`) stays,
    and the correction (who, when, why, the earlier decision) is kept and audited."""
    require_state(meeting, states.DECISIONS_OPEN, _("Keputusan"))
    if proposal.meeting_id != meeting.id:
        raise services.MeetingError(_("Usulan ini bukan dari musyawarah ini."))
    if proposal.status != "decided":
        raise services.MeetingError(_("Usulan ini belum diputuskan."))
    reason = (reason or "").strip()
    if not reason:
        raise services.MeetingError(_("Tuliskan alasan membuka kembali keputusan ini."), "alasan")
    if len(reason) > REASON_MAX:
        raise services.MeetingError(
            _("Alasan terlalu panjang (maksimal %(n)d karakter).", n=REASON_MAX), "alasan"
        )
    earlier = _earlier(proposal)
    db.session.add(
        ProposalCorrection(
            meeting_id=meeting.id,
            proposal_id=proposal.id,
            reason=reason,
            earlier=earlier,
            created_by=user.id,
        )
    )
    db.session.execute(delete(Vote).where(Vote.proposal_id == proposal.id))
    # An open proposal claims no family; deciding it again claims it again (refused, naming the
    # other meeting, if another meeting of the period decided the family meanwhile).
    db.session.execute(delete(DecisionClaim).where(DecisionClaim.proposal_id == proposal.id))
    proposal.status = "open"
    proposal.accepted = None
    proposal.method = None
    proposal.vote_mode = None
    proposal.votes_yes = proposal.votes_no = proposal.votes_abstain = 0
    proposal.voters_present = None
    proposal.decided_at = None
    proposal.decided_by = None
    audit_meeting(
        meeting,
        "meeting.decision_reopen",
        {"proposal": proposal.id, "reason": reason, "earlier": earlier},
    )
    flush_versioned()


def corrections(meeting: Meeting) -> list[ProposalCorrection]:
    """The meeting's reopened decisions, oldest first: what the berita acara's minutes list as
    corrections. Each row: `created_at`, `created_by` (user id), `reason`, `proposal` (the
    proposal as it stands now), `earlier` (the decision reopened, see `_earlier`); and
    `earlier_text(row.earlier)` words the earlier decision."""
    return list(
        db.session.execute(
            select(ProposalCorrection)
            .where(ProposalCorrection.meeting_id == meeting.id)
            .order_by(ProposalCorrection.created_at, ProposalCorrection.id)
        ).scalars()
    )


def earlier_text(earlier: dict[str, Any]) -> str:
    """The earlier decision in words, e.g. "diterima (mufakat)" or "ditolak (suara: 1 setuju,
    3 tidak setuju, 0 abstain dari 4 pemilih hadir)"."""
    outcome = _("diterima") if earlier.get("accepted") else _("ditolak")
    if earlier.get("method") in ("mufakat", "batch"):
        return _("%(outcome)s (mufakat)", outcome=outcome)
    return _(
        "%(outcome)s (suara: %(y)d setuju, %(n)d tidak setuju, %(a)d abstain dari %(v)d "
        "pemilih hadir)",
        outcome=outcome,
        y=earlier.get("votes_yes") or 0,
        n=earlier.get("votes_no") or 0,
        a=earlier.get("votes_abstain") or 0,
        v=earlier.get("voters_present") or 0,
    )


def has_corrections(proposal: Proposal) -> bool:
    return (
        db.session.execute(
            select(ProposalCorrection.id).where(ProposalCorrection.proposal_id == proposal.id)
        ).first()
        is not None
    )


# --- walk-ins -------------------------------------------------------------------------------


def normalised_name(name: str) -> str:
    """A name as two entries of the same person compare: case, accents, punctuation and spacing
    ignored ("Hj.  Siti  Aminah" = "hj siti aminah")."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def refuse_second_walk_in(
    meeting: Meeting, data: services.ParticipantData, *, exclude: Participant | None = None
) -> None:
    """The same person does not walk in twice, nor walks in when invited: the same NIK in this
    meeting, or (for an entry without a NIK) the same normalised name as anyone on the list.
    `data` is already cleaned (`services.participants.clean_participant`)."""
    others = [p for p in meeting.participants if exclude is None or p.id != exclude.id]
    if data.nik:
        same = next((p for p in others if p.nik == data.nik), None)
        if same is not None:
            raise services.MeetingError(
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
        raise services.MeetingError(
            _(
                "%(name)s sudah ada di daftar peserta. Orang yang sama tidak didaftarkan dua "
                "kali; jika orang yang berbeda, isi NIK-nya.",
                name=same.name,
            ),
            "name",
        )


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
        raise services.MeetingError(_("Hanya peserta tambahan yang dapat diubah di sini."))
    if counted_in_a_decision(meeting, participant):
        raise services.MeetingError(
            _(
                "%(name)s sudah terhitung dalam keputusan yang dicatat: data peserta tambahan "
                "ini tidak dapat diubah atau dihapus lagi. Buka kembali keputusan itu dahulu "
                "bila perlu.",
                name=participant.name,
            )
        )


def correct_walk_in(
    meeting: Meeting, participant: Participant, data: services.ParticipantData, *, user: Any
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
        raise services.MeetingError(_("NIK ini sudah ada di daftar peserta."), "nik") from error
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
