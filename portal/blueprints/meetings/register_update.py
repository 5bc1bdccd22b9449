"""The register moves forward when the camat confirms a meeting: the accepted proposals applied.

- keluar: the family becomes inactive (`removed`) with the reason, the date and the meeting;
- baru: a new active family with its members;
- perbaikan: the field changes and the members added or removed, before/after kept;
- tetap: nothing changes (the family stays on the next prelist).

Every change leaves a `HouseholdEvent` (source "meeting", with the meeting id). There is no undo
except a new meeting. Conflicts that appeared after the meeting (a new family's KK or a NIK
registered elsewhere meanwhile) stop the whole update with a message: nothing is half-applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.blueprints.meetings.models import Meeting, Proposal
from portal.blueprints.meetings.services.results import accepted_proposals
from portal.blueprints.register.models import (
    ACTIVE,
    REMOVED,
    Household,
    HouseholdEvent,
    Person,
)
from portal.extensions import db
from portal.refusal import Refused
from portal.timeutil import utcnow


class RegisterConflict(Refused):
    """A conflict that appeared after the meeting stops the register update."""


@dataclass
class Applied:
    removed: int = 0
    added: int = 0
    corrected: int = 0


def _snapshot(household: Household) -> dict[str, Any]:
    return {
        "status": household.status,
        "alamat": household.alamat,
        "dusun": household.dusun,
        "rt": household.rt,
        "rw": household.rw,
        "members": [m.nik for m in household.members],
    }


def apply_meeting(meeting: Meeting, *, user_id: int | None) -> Applied:
    """Apply the meeting's accepted proposals to the register, in the caller's transaction."""
    proposals = accepted_proposals(meeting)
    ids = [p.household_id for p in proposals if p.household_id]
    households = {
        h.id: h
        for h in db.session.execute(
            select(Household)
            .where(Household.id.in_(ids))
            .options(selectinload(Household.members))
            .with_for_update(of=Household)
        )
        .unique()
        .scalars()
    }
    _check_conflicts(meeting, proposals)
    now = utcnow()
    applied = Applied()

    def event(household_id: int, kind: str, before: Any, after: Any) -> None:
        db.session.add(
            HouseholdEvent(
                household_id=household_id,
                created_at=now,
                user_id=user_id,
                source="meeting",
                meeting_id=meeting.id,
                kind=kind,
                before=before,
                after=after,
            )
        )

    for proposal in proposals:
        details = proposal.details or {}
        if proposal.kind == "keluar":
            assert proposal.household_id is not None  # the table's check: only "baru" has none
            household = households[proposal.household_id]
            before = _snapshot(household)
            household.status = REMOVED
            household.removed_reason = proposal.reason
            household.removed_note = proposal.reason_text
            household.removed_at = now
            household.removed_meeting_id = meeting.id
            event(household.id, "removed", before, {"status": REMOVED, "reason": proposal.reason})
            applied.removed += 1
        elif proposal.kind == "baru":
            household = Household(
                village_code=meeting.village_code,
                kk=details["kk"],
                alamat=details.get("alamat"),
                rt=details.get("rt"),
                rw=details.get("rw"),
                status=ACTIVE,
            )
            db.session.add(household)
            db.session.flush()
            for position, member in enumerate(details.get("members", [])):
                db.session.add(_person(household.id, member, position))
            event(household.id, "added", None, {"members": len(details.get("members", []))})
            applied.added += 1
        else:
            assert proposal.household_id is not None  # the table's check: only "baru" has none
            household = households[proposal.household_id]
            before = _snapshot(household)
            for name, (_old, new) in (details.get("fields") or {}).items():
                setattr(household, name, new or None)
            gone = set(details.get("members_removed") or [])
            for member in list(household.members):
                if member.nik in gone:
                    household.members.remove(member)
                    db.session.delete(member)
            start = len(household.members)
            for offset, member in enumerate(details.get("members_added") or []):
                db.session.add(_person(household.id, member, start + offset))
            db.session.flush()
            db.session.refresh(household, ["members"])
            event(household.id, "corrected", before, _snapshot(household))
            applied.corrected += 1
    db.session.flush()
    return applied


def _person(household_id: int, member: dict[str, Any], position: int) -> Person:
    return Person(
        household_id=household_id,
        nik=member["nik"],
        name=member["name"],
        relation=member.get("relation"),
        position=position,
    )


def _check_conflicts(meeting: Meeting, proposals: Sequence[Proposal]) -> None:
    """A new family's KK, or a new member's NIK, registered elsewhere since the meeting."""
    kks = [(p.details or {}).get("kk") for p in proposals if p.kind == "baru"]
    niks = [
        m["nik"]
        for p in proposals
        for m in (p.details or {}).get("members", []) + (p.details or {}).get("members_added", [])
    ]
    if kks and db.session.execute(select(Household.id).where(Household.kk.in_(kks))).first():
        raise RegisterConflict(
            _(
                "No. KK keluarga baru dari musyawarah ini sudah terdaftar di register sejak "
                "musyawarah. Kembalikan berita acara agar diperbaiki dengan musyawarah adendum."
            )
        )
    if niks and db.session.execute(select(Person.id).where(Person.nik.in_(niks))).first():
        raise RegisterConflict(
            _(
                "NIK anggota baru dari musyawarah ini sudah terdaftar di register sejak "
                "musyawarah. Kembalikan berita acara agar diperbaiki dengan musyawarah adendum."
            )
        )
