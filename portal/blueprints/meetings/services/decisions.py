"""How a proposal is decided: by consensus, a show of hands, a named vote or a batch, with who
may vote (present voters, the family under discussion recused) and the majority rule."""

from __future__ import annotations

import collections
import functools
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Update, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting, Participant, Proposal, Vote
from portal.blueprints.meetings.services.common import (
    MeetingError,
    audit_meeting,
    flush_versioned,
    require_state,
)
from portal.blueprints.meetings.services.families import claim_families
from portal.blueprints.meetings.services.participants import attendance, require_quorum
from portal.blueprints.register.models import Person
from portal.extensions import db
from portal.timeutil import utcnow


def _family_niks(
    proposal: Proposal, members_by_household: dict[int, set[str]] | None = None
) -> set[str]:
    """NIKs of the family under discussion: its members, plus members a proposal would add."""
    details = proposal.details or {}
    if proposal.household_id is None:
        niks = {m["nik"] for m in details.get("members", [])}
    elif members_by_household is not None:
        niks = set(members_by_household.get(proposal.household_id, set()))
    else:
        # The family's members as loaded once for the request (the page shows them too).
        household = proposal.household
        assert household is not None  # household_id is set
        niks = {member.nik for member in household.members}
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
    return [p for p in meeting.participants if p.may_vote and p.id not in recused]


def _decide(proposal: Proposal, accepted: bool, method: str, *, user: Any, voters: int) -> None:
    proposal.status = "decided"
    proposal.accepted = accepted
    proposal.method = method
    proposal.voters_present = voters
    proposal.decided_at = utcnow()
    proposal.decided_by = user.id


def named_vote_under_way() -> str:
    return _(
        "Pemungutan suara bernama sedang berjalan untuk usulan ini: tutup pemungutan suaranya "
        "untuk memutuskan."
    )


def _open_for_decision(meeting: Meeting, proposal: Proposal) -> None:
    require_state(meeting, states.DECISIONS_OPEN, _("Keputusan"))
    if proposal.status != "open":
        raise MeetingError(_("Usulan ini sudah diputuskan."))


def decide_by_consensus(meeting: Meeting, proposal: Proposal, *, user: Any) -> None:
    """Musyawarah mufakat: the chair records that all present agree; only while quorum holds.
    A recorded objection (`disputed`) means there is no consensus: decided by a vote."""
    _open_for_decision(meeting, proposal)
    if proposal.vote_mode == "named":
        raise MeetingError(named_vote_under_way())
    if proposal.disputed:
        raise MeetingError(
            _(
                "Ada keberatan atas usulan ini: mufakat tidak tercapai. Putuskan dengan "
                "pemungutan suara (hitungan suara atau suara bernama)."
            )
        )
    if not attendance(meeting).quorum:
        raise MeetingError(_("Kuorum belum tercapai: mufakat tidak dapat dicatat."))
    claim_families(meeting, [proposal])
    _decide(proposal, True, "mufakat", user=user, voters=len(eligible_voters(meeting, proposal)))
    audit_meeting(meeting, "meeting.decide_consensus", {"proposal": proposal.id})
    flush_versioned()


def majority_reached(meeting: Meeting, yes: int, voters: int) -> bool:
    """More than num/den of the present (non-recused) voters; abstentions count as present."""
    return voters > 0 and yes * meeting.majority_den > voters * meeting.majority_num


def record_tally(
    meeting: Meeting, proposal: Proposal, *, yes: int, no: int, abstain: int, user: Any
) -> None:
    """Counts from a show of hands; their sum cannot exceed the present voters."""
    _open_for_decision(meeting, proposal)
    if proposal.vote_mode == "named":
        raise MeetingError(named_vote_under_way())
    if min(yes, no, abstain) < 0:
        raise MeetingError(_("Jumlah suara tidak boleh negatif."))
    voters = len(eligible_voters(meeting, proposal))
    if voters == 0:
        raise MeetingError(_("Tidak ada peserta berhak suara yang hadir."))
    require_quorum(meeting, _("hasil suara"))
    if yes + no + abstain > voters:
        raise MeetingError(
            _(
                "Jumlah suara (%(sum)d) melebihi peserta berhak suara yang hadir (%(n)d).",
                sum=yes + no + abstain,
                n=voters,
            )
        )
    claim_families(meeting, [proposal])
    proposal.votes_yes, proposal.votes_no, proposal.votes_abstain = yes, no, abstain
    _decide(proposal, majority_reached(meeting, yes, voters), "tally", user=user, voters=voters)
    audit_meeting(
        meeting,
        "meeting.decide_tally",
        {"proposal": proposal.id, "yes": yes, "no": no, "abstain": abstain},
    )
    flush_versioned()


def open_named_vote(meeting: Meeting, proposal: Proposal, *, user: Any) -> None:
    _open_for_decision(meeting, proposal)
    proposal.vote_mode = "named"
    proposal.disputed = True
    flush_versioned()
    audit_meeting(meeting, "meeting.named_vote_open", {"proposal": proposal.id})


def cast_vote(
    meeting: Meeting, proposal: Proposal, participant: Participant, choice: str, *, user: Any
) -> None:
    """A named vote; one per voter per item (a database constraint), changeable until closed."""
    _open_for_decision(meeting, proposal)
    if proposal.vote_mode != "named":
        raise MeetingError(_("Pemungutan suara bernama belum dibuka untuk usulan ini."))
    if choice not in ("setuju", "tidak_setuju", "abstain"):
        raise MeetingError(_("Pilihan suara tidak dikenal."))
    if participant.meeting_id != meeting.id or not participant.may_vote:
        raise MeetingError(_("Peserta ini tidak hadir atau tidak memiliki hak suara."))
    if participant.id in recused_ids(meeting, proposal):
        raise MeetingError(_("Peserta ini anggota keluarga yang dibahas dan tidak ikut memilih."))
    key = {"proposal": proposal.id, "participant": participant.id}
    changed = cast(
        "CursorResult[Any]",
        db.session.execute(_change_vote_statement(), {**key, "choice": choice, "at": utcnow()}),
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
    audit_meeting(
        meeting,
        "meeting.vote",
        {"proposal": proposal.id, "participant": participant.id, "choice": choice},
    )
    db.session.flush()


@functools.cache
def _change_vote_statement() -> Update:
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
    require_quorum(meeting, _("hasil suara"))
    claim_families(meeting, [proposal])
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
    audit_meeting(meeting, "meeting.decide_named", {"proposal": proposal.id, **counts})
    flush_versioned()


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
    require_state(meeting, states.DECISIONS_OPEN, _("Keputusan"))
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
    claim_families(meeting, items)
    voters = [p for p in meeting.participants if p.may_vote]
    for proposal in items:
        recused = recused_ids(meeting, proposal, members)
        _decide(
            proposal, True, "batch", user=user, voters=sum(1 for p in voters if p.id not in recused)
        )
    audit_meeting(meeting, "meeting.decide_batch", {"proposals": [p.id for p in items]})
    flush_versioned()
    return len(items)
