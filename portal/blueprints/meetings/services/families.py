"""The families a meeting decides about, across the village's meetings: its prelist (the
register as other locked meetings moved it), and one decision per family per period (claims,
contradictions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import DecisionClaim, Meeting, Proposal
from portal.blueprints.meetings.services.common import MeetingError
from portal.blueprints.register.models import ACTIVE, Household
from portal.extensions import db


def prelist(meeting: Meeting):
    """The families the meeting decides about: the village's active register, as moved forward
    by its other locked meetings (a confirmed one has moved the register itself)."""
    return select(Household).where(
        *on_prelist(meeting.village_code, meeting.id, decision_time(meeting))
    )


#: "Not decided yet": every other meeting decided so far counts for its list.
_NOT_YET_DECIDED = datetime(9999, 12, 31, tzinfo=UTC)


def decision_time(meeting: Meeting) -> datetime:
    """When the meeting decided; a meeting not decided yet comes after every other."""
    return meeting.decided_at or _NOT_YET_DECIDED


def on_prelist(
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
            # contradiction with it is refused at decide and lock, `refuse_decided_elsewhere`).
            other.c.state == states.LOCKED,
            other.c.decided_at < decided_before,
            Proposal.kind == "keluar",
            Proposal.accepted.is_(True),
            Proposal.household_id.is_not(None),
        )
    )
    return (*active, Household.id.not_in(removed_elsewhere))


LIVE = (states.IN_SESSION, states.DECIDED, states.LOCKED, states.CONFIRMED)


def decided_elsewhere_message(other: Meeting, count: int = 1) -> str:
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


def claim_families(meeting: Meeting, proposals: Sequence[Proposal]) -> None:
    """Record that the meeting decides these families for its period; refused, with the other
    meeting named, if another live meeting of the period decided one of them."""
    ids = [p.household_id for p in proposals if p.household_id is not None]
    if not ids:
        return
    with db.session.no_autoflush:
        taken = claims_elsewhere(meeting, ids)
        if taken:
            other = next(iter(taken.values()))
            raise MeetingError(decided_elsewhere_message(other, len(taken)))
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
        existing = mine.get(proposal.household_id)
        if existing is not None:
            existing.proposal_id = proposal.id
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
