"""The decided list of a meeting, read from the database into the canonical document.

The format is specified in `canonical.py` (and in the README). Built by the generation job just
before the lock; rebuilt by `flask ba verify` and the tests to show that the stored hash still
recomputes from the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.blueprints.berita_acara import wording
from portal.blueprints.berita_acara.canonical import FORMAT
from portal.blueprints.meetings import services as meetings
from portal.blueprints.meetings.models import Meeting, Participant, Proposal
from portal.blueprints.regions.models import Region
from portal.blueprints.register.models import Household
from portal.extensions import db


def _region_names(code: str) -> dict[str, str]:
    codes = {"province": code[:2], "kabupaten": code[:4], "kecamatan": code[:6], "village": code}
    rows = db.session.execute(
        select(Region.code, Region.name).where(Region.code.in_(codes.values()))
    ).all()
    names = {code: name for code, name in rows}
    return {level: names.get(value, value) for level, value in codes.items()}


def _decision(proposal: Proposal) -> dict[str, Any]:
    return {
        "method": proposal.method,
        "yes": proposal.votes_yes,
        "no": proposal.votes_no,
        "abstain": proposal.votes_abstain,
        "voters": proposal.voters_present,
        # "Ada keberatan": decided by a vote, never by consensus (format 2).
        "objection": bool(proposal.disputed),
    }


def _corrections(meeting: Meeting) -> list[dict[str, Any]]:
    """Decisions reopened with a reason before the lock, oldest first (format 2): the minutes
    state them. The earlier decision as it was; the moment in the region's zone."""
    rows = []
    for row in meetings.corrections(meeting):
        proposal, earlier = row.proposal, row.earlier or {}
        household = proposal.household
        members = (proposal.details or {}).get("members") or [{}]
        at = wording.local_time(row.created_at, meeting.village_code)
        rows.append(
            {
                "kind": proposal.kind,
                "kk": household.kk if household else (proposal.details or {}).get("kk"),
                "head_name": _head(household)[1] if household else members[0].get("name"),
                "reason": row.reason,
                "at": at.strftime("%Y-%m-%d %H:%M") if at else None,
                "earlier": {
                    "accepted": earlier.get("accepted"),
                    "method": earlier.get("method"),
                    "yes": earlier.get("votes_yes"),
                    "no": earlier.get("votes_no"),
                    "abstain": earlier.get("votes_abstain"),
                },
            }
        )
    return rows


def _head(household: Household) -> tuple[str | None, str | None]:
    head = household.head
    return (head.nik, head.name) if head is not None else (None, None)


def _family(household: Household) -> dict[str, Any]:
    nik, name = _head(household)
    return {
        "kk": household.kk,
        "head_nik": nik,
        "head_name": name,
        "rt": household.rt,
        "rw": household.rw,
        "members": len(household.members),
    }


def _member(member: dict[str, Any]) -> dict[str, Any]:
    return {
        "nik": member.get("nik"),
        "name": member.get("name"),
        "relation": member.get("relation"),
    }


def held(meeting: Meeting) -> dict[str, Any]:
    """When the meeting was really held, in the region's zone: the date it was opened, the
    opening and closing (decision) times, and the date it closed when that is another day."""
    zone = meeting.village_code
    opened = wording.local_time(meeting.opened_at, zone)
    closed = wording.local_time(meeting.decided_at, zone)
    return {
        "held_date": opened.date().isoformat() if opened else None,
        "opened_at": opened.strftime("%H:%M") if opened else None,
        "closed_at": closed.strftime("%H:%M") if closed else None,
        "closed_date": closed.date().isoformat() if closed else None,
        "time_zone": wording.time_zone(zone),
    }


def build(meeting: Meeting, *, camat_block: bool) -> dict[str, Any]:
    names = _region_names(meeting.village_code)
    participants = (
        db.session.execute(
            select(Participant).where(Participant.meeting_id == meeting.id).order_by(Participant.id)
        )
        .scalars()
        .all()
    )
    state = meetings.attendance(meeting)
    proposals = (
        db.session.execute(
            select(Proposal)
            .where(Proposal.meeting_id == meeting.id)
            .options(selectinload(Proposal.household).selectinload(Household.members))
        )
        .scalars()
        .all()
    )
    accepted = {p.household_id: p for p in proposals if p.accepted and p.household_id}
    families: dict[str, list[dict[str, Any]]] = {
        "tetap": [],
        "keluar": [],
        "baru": [],
        "perbaikan": [],
    }
    prelist = meetings.prelist(meeting).options(selectinload(Household.members))
    for household in db.session.execute(prelist).scalars():
        proposal = accepted.get(household.id)
        row = _family(household)
        if proposal is None:
            families["tetap"].append(row)
        elif proposal.kind == "keluar":
            row.update(
                reason=proposal.reason,
                reason_text=proposal.reason_text,
                decision=_decision(proposal),
            )
            families["keluar"].append(row)
        else:
            details = proposal.details or {}
            member_names = {m.nik: m.name for m in household.members}
            row.update(
                changes=[
                    {"field": name, "before": pair[0], "after": pair[1]}
                    for name, pair in sorted((details.get("fields") or {}).items())
                ],
                members_added=sorted(
                    (_member(m) for m in details.get("members_added", [])),
                    key=lambda m: m["nik"] or "",
                ),
                members_removed=[
                    {"nik": nik, "name": member_names.get(nik)}
                    for nik in sorted(details.get("members_removed", []))
                ],
                decision=_decision(proposal),
            )
            families["perbaikan"].append(row)
    rejected = []
    for proposal in proposals:
        details = proposal.details or {}
        if proposal.kind == "baru" and proposal.accepted:
            members = sorted((_member(m) for m in details.get("members", [])), key=_by_nik)
            head = next(
                (m for m in members if (m.get("relation") or "").lower().startswith("kepala")),
                members[0] if members else {},
            )
            families["baru"].append(
                {
                    "kk": details.get("kk"),
                    "head_nik": head.get("nik"),
                    "head_name": head.get("name"),
                    "rt": details.get("rt"),
                    "rw": details.get("rw"),
                    "alamat": details.get("alamat"),
                    "members": members,
                    "decision": _decision(proposal),
                }
            )
        elif not proposal.accepted:
            household = proposal.household
            rejected.append(
                {
                    "kind": proposal.kind,
                    "kk": household.kk if household else details.get("kk"),
                    "head_name": _head(household)[1] if household else None,
                    "decision": _decision(proposal),
                }
            )
    for rows in families.values():
        rows.sort(key=lambda row: row["kk"] or "")
    rejected.sort(key=lambda row: (row["kk"] or "", row["kind"]))
    by_reason: dict[str, int] = {}
    for row in families["keluar"]:
        by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + 1
    return {
        "format": FORMAT,
        "meeting": {
            "id": meeting.id,
            "number": meeting.number,
            "kind": meeting.kind,
            "village_code": meeting.village_code,
            "village_name": names["village"],
            "kecamatan_code": meeting.village_code[:6],
            "kecamatan_name": names["kecamatan"],
            "kabupaten_code": meeting.village_code[:4],
            "kabupaten_name": names["kabupaten"],
            "province_name": names["province"],
            "date": meeting.meeting_date.isoformat(),  # the scheduled date
            "scheduled_date": meeting.meeting_date.isoformat(),
            **held(meeting),
            "start_time": meeting.start_time.strftime("%H:%M") if meeting.start_time else None,
            "place": meeting.place,
            "agenda": meeting.agenda,
            "chair": meeting.chair_name,
            "notulen": meeting.notulen_name,
            "bpd": meeting.bpd_name,
            "period": meeting.period,
            "rules": {
                "quorum": f"{meeting.quorum_num}/{meeting.quorum_den}",
                "majority": f"{meeting.majority_num}/{meeting.majority_den}",
            },
            "camat_block": camat_block,
        },
        "attendance": {
            "invited_voters": state.invited_voters,
            "present_voters": state.present_voters,
            "present_invited_voters": state.present_invited_voters,
            "present_walk_ins": sum(1 for p in participants if p.walk_in and p.present),
            "present": state.present,
            "quorum_required": state.quorum_needed,
            "quorum_met": state.quorum,
            "participants": [
                {
                    "name": p.name,
                    "unsur": p.unsur,
                    "position": p.position,
                    "votes": p.votes,
                    "present": p.present,
                    "walk_in": p.walk_in,
                }
                for p in participants
            ],
        },
        "families": families,
        "rejected": rejected,
        "corrections": _corrections(meeting),
        "counts": {
            "families": sum(len(families[k]) for k in ("tetap", "keluar", "perbaikan")),
            "tetap": len(families["tetap"]),
            "keluar": len(families["keluar"]),
            "keluar_by_reason": by_reason,
            "baru": len(families["baru"]),
            "perbaikan": len(families["perbaikan"]),
            "rejected": len(rejected),
        },
    }


def _by_nik(member: dict[str, Any]) -> str:
    return member.get("nik") or ""
