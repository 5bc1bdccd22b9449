"""What of a signed decided list anyone may read without a login: the one rule and the one
masking, asked by the transparency pages and by the public verification page of a berita acara
(what the verification page shows an anonymous reader by name is exactly what the transparency
page would show, never more).

It lives with the berita acara, below the transparency and review areas that read it: the rule
needs only the kabupaten's setting, the meeting's state and its berita acara. "Confirmed" is
the meeting's state; the database refuses a confirmed meeting without its confirming review
(migration 0010), so the review need not be read again here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from portal.blueprints.berita_acara.models import DONE, BeritaAcara
from portal.blueprints.meetings import services as meetings
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.register.models import MEETING_REASON_LABELS
from portal.extensions import db
from portal.personal_data import mask_id

#: The lists a public page shows by name. The families that stay are only counted; members,
#: free-text reasons, and the removals the meeting refused are never shown.
PUBLIC_LISTS = ("keluar", "baru", "perbaikan")


@dataclass(frozen=True)
class PublicFamily:
    """A family as a public page shows it: the name, the numbers already masked."""

    kk: str
    head_name: str | None
    head_nik: str
    rt: str | None
    rw: str | None
    reason: Any  # a removal's reason, as its label ("Meninggal"); None in the other lists


def published(village_code: str) -> bool:
    """Does the kabupaten of this region (any code of 4+ digits) publish its public pages?"""
    return bool(meetings.rules_for(village_code[:4]).public_transparency)


def decisions_public(meeting: Meeting) -> bool:
    """May anyone, without a login, read this meeting's decisions by name? The kabupaten
    publishes them, the camat confirmed the meeting and its berita acara is done."""
    if meeting.state != states.CONFIRMED or not published(meeting.village_code):
        return False
    done = db.session.execute(
        select(BeritaAcara.id).where(
            BeritaAcara.meeting_id == meeting.id, BeritaAcara.status == DONE
        )
    ).first()
    return done is not None


def public_families(document: dict[str, Any]) -> dict[str, list[PublicFamily]]:
    """The families of a signed decided list as a public page shows them, masked here (the
    only place): kind → rows, for the kinds of `PUBLIC_LISTS`, in the document's order."""
    families = document.get("families") or {}
    return {
        kind: [
            PublicFamily(
                kk=mask_id(row.get("kk")),
                head_name=row.get("head_name"),
                head_nik=mask_id(row.get("head_nik")),
                rt=row.get("rt"),
                rw=row.get("rw"),
                reason=MEETING_REASON_LABELS.get(row.get("reason"), row.get("reason"))
                if kind == "keluar"
                else None,
            )
            for row in families.get(kind) or []
        ]
        for kind in PUBLIC_LISTS
    }
