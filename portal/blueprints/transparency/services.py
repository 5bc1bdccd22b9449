"""The public transparency page of a village: what its confirmed meetings decided.

Public (no login), so personal data is masked: names are shown (they are read out at the
meeting and posted at the village office), NIKs and KKs never in full. Only confirmed meetings
appear, from the canonical decided list locked in their berita acara. A kabupaten may turn the
pages off (`KabupatenRules.public_transparency`).

The rule and the masking are `berita_acara.publication`'s, asked by this page and by the public
verification page of a berita acara alike: what that page shows an anonymous reader by name is
exactly what this page would show, never more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from portal import audit
from portal.blueprints.berita_acara.models import DONE, BeritaAcara
from portal.blueprints.berita_acara.publication import (
    PublicFamily,
    public_families,
    published,
)
from portal.blueprints.meetings import services as meetings
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.regions.models import Region
from portal.blueprints.review.models import CONFIRMED, MeetingReview
from portal.extensions import db

LAST_MEETINGS = 5


@dataclass
class PublicMeeting:
    meeting: Meeting
    ba: BeritaAcara
    confirmed_at: Any
    document: dict[str, Any]

    @property
    def families(self) -> dict[str, list[PublicFamily]]:
        return public_families(self.document)


def _confirmed():  # -> Select
    """The meetings whose decisions are public once their kabupaten publishes: confirmed by
    the camat (the review says so), their berita acara locked. Locked-but-unconfirmed and
    returned meetings are not among them."""
    return (
        select(Meeting, BeritaAcara, MeetingReview.created_at)
        .join(BeritaAcara, BeritaAcara.meeting_id == Meeting.id)
        .join(MeetingReview, MeetingReview.meeting_id == Meeting.id)
        .where(
            Meeting.state == states.CONFIRMED,
            MeetingReview.outcome == CONFIRMED,
            BeritaAcara.status == DONE,
        )
    )


def village(code: str) -> Region | None:
    if len(code) != 10 or not code.isdigit():
        return None
    region = db.session.get(Region, code)
    return region if region is not None and region.level == 4 else None


def confirmed_meetings(village_code: str, limit: int = LAST_MEETINGS) -> list[PublicMeeting]:
    """The village's last confirmed meetings (the caller checks `published` first)."""
    rows = db.session.execute(
        _confirmed()
        .where(Meeting.village_code == village_code)
        .order_by(Meeting.meeting_date.desc(), Meeting.id.desc())
        .limit(limit)
    ).all()
    return [
        PublicMeeting(meeting, ba, confirmed_at, json.loads(ba.canonical))
        for meeting, ba, confirmed_at in rows
    ]


def villages_with_decisions(
    kabupaten_code: str | None = None, name: str | None = None
) -> list[tuple[Region, int]]:
    """Villages (of published kabupaten) with at least one confirmed meeting, and how many;
    optionally only those of a kabupaten, or whose name holds `name`."""
    stmt = (
        select(Region, func.count(Meeting.id))
        .join(Meeting, Meeting.village_code == Region.code)
        .where(Meeting.state == states.CONFIRMED)
        .group_by(Region.code)
        .order_by(Region.name, Region.code)
    )
    if kabupaten_code:
        stmt = stmt.where(Region.code.startswith(kabupaten_code))
    if name and name.strip():
        words = name.strip().lower()
        for wildcard in ("\\", "%", "_"):
            words = words.replace(wildcard, "")
        stmt = stmt.where(func.lower(Region.name).like(f"%{words[:100]}%"))
    shown: dict[str, bool] = {}  # one look at the rules per kabupaten, not per village
    villages = []
    for region, n in db.session.execute(stmt).all():
        kabupaten = region.code[:4]
        if kabupaten not in shown:
            shown[kabupaten] = published(kabupaten)
        if shown[kabupaten]:
            villages.append((region, n))
    return villages


def set_public_transparency(kabupaten_code: str, enabled: bool, user: Any) -> None:
    """Turn the kabupaten's public pages on or off (the rules page does this too)."""
    rules = meetings.rules_for(kabupaten_code)
    if rules not in db.session:
        db.session.add(rules)
    rules.public_transparency = enabled
    audit.record(
        "transparency.set",
        object_type="kabupaten_rules",
        object_id=kabupaten_code,
        region_code=kabupaten_code,
        details={"enabled": enabled},
        user_id=user.id,
    )
    db.session.flush()
