"""A family decided one way here and the other way in another meeting of the same period: found
(for the camat's warnings) and refused (at decide and lock). Each meeting is read as signed once
sealed (`as_signed`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import select

from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting, Proposal
from portal.blueprints.meetings.services.as_signed import decided_lists
from portal.blueprints.meetings.services.common import MeetingError
from portal.blueprints.meetings.services.families import (
    claims_elsewhere,
    decided_elsewhere_message,
)
from portal.extensions import db


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
        lists, _signed = decided_lists(subject)
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


def refuse_decided_elsewhere(meeting: Meeting) -> None:
    """Deciding or locking a meeting whose decided families another live meeting of the period
    decided too is refused, naming it."""
    ids = cast(  # no None: the query leaves them out
        "list[int]",
        db.session.execute(
            select(Proposal.household_id).where(
                Proposal.meeting_id == meeting.id,
                Proposal.status == "decided",
                Proposal.household_id.is_not(None),
            )
        )
        .scalars()
        .all(),
    )
    taken = claims_elsewhere(meeting, ids)
    if taken:
        other = next(iter(taken.values()))
        raise MeetingError(decided_elsewhere_message(other, len(taken)))
    # A family this meeting keeps (no proposal: tetap) that another live meeting of the period
    # removes, or the other way round: one of the two must be returned (or reopened) first.
    found = contradictions(meeting)
    if found:
        other = db.session.get_one(Meeting, found[0].other_id)
        raise MeetingError(
            decided_elsewhere_message(other, len({c.kk for c in found if c.other_id == other.id}))
        )
