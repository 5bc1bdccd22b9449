"""Decisions put right before the lock (issue 15): a decision reopened with a reason, the earlier
outcome kept beside it.

Like every service, each function checks the meeting's state, writes the audit entry and
flushes; the request commits. Once the berita acara locks the meeting nothing here may run (the
state check refuses it, and the database triggers of migrations 0004/0008 refuse the rows).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select

from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import (
    DecisionClaim,
    Meeting,
    Participant,
    Proposal,
    ProposalCorrection,
    Vote,
)
from portal.blueprints.meetings.services.common import (
    MeetingError,
    audit_meeting,
    audit_value,
    flush_versioned,
    require_state,
)
from portal.extensions import db

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
        raise MeetingError(_("Usulan ini bukan dari musyawarah ini."))
    if proposal.status != "decided":
        raise MeetingError(_("Usulan ini belum diputuskan."))
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError(_("Tuliskan alasan membuka kembali keputusan ini."), "alasan")
    if len(reason) > REASON_MAX:
        raise MeetingError(
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
