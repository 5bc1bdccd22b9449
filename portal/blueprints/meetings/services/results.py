"""The meeting as it stands: proposals still open, the summary counts and the decided lists
that the berita acara locks."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import selectinload

from portal.blueprints.meetings.models import Meeting, Participant, Proposal
from portal.blueprints.meetings.services.families import decision_time, on_prelist, prelist
from portal.blueprints.meetings.services.participants import Attendance, count_attendance
from portal.blueprints.register.models import Household
from portal.extensions import db


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
        select(
            literal_column("'f'", String), text, text, text, flag, flag, flag, flag, func.count()
        )
        .select_from(Household)
        .where(
            *on_prelist(
                bindparam("village"),
                bindparam("meeting"),
                bindparam("decided_before", type_=DateTime(timezone=True)),
            )
        )
    )
    proposals = (
        select(
            literal_column("'p'", String),
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
            literal_column("'a'", String),
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
    families = 0
    rows: list[tuple[Any, ...]] = []
    people: list[tuple[Any, ...]] = []
    for tag, kind, reason, status, accepted, votes, walk_in, present, n in db.session.execute(
        _summary_statement(),
        {
            "village": meeting.village_code,
            "meeting": meeting.id,
            "decided_before": decision_time(meeting),
        },
    ):
        if tag == "f":
            families = n
        elif tag == "p":
            rows.append((kind, reason, status, accepted, n))
        else:
            people.append((votes, walk_in, present, n))
    result = Summary(count_attendance(meeting, people), families, 0, 0, 0, families)
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


def accepted_proposals(meeting: Meeting) -> list[Proposal]:
    """The meeting's accepted proposals, in the order they were made."""
    return list(
        db.session.execute(
            select(Proposal)
            .where(Proposal.meeting_id == meeting.id, Proposal.accepted.is_(True))
            .order_by(Proposal.id)
        ).scalars()
    )


def decided_list(meeting: Meeting) -> dict[str, list[Any]]:
    """Who stays, leaves (with reason), is added, is corrected: what the berita acara locks."""
    accepted_rows = accepted_proposals(meeting)
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
