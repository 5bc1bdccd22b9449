"""The SIKS-NG operator's work on a confirmed meeting: its decided families and their marks.

A family of the decided list is found by its No. KK among the households of the meeting's own
village: after the camat's confirmation every decided family has one (the new ones included), so
a mark points at `Household.id`. A mark says the family was entered in SIKS-NG, or rejected by
it with the reason; it can be changed, and every change leaves an audit entry. Only a confirmed
meeting takes marks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal import audit
from portal.access import in_scope
from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara.models import DONE
from portal.blueprints.entry.models import CATEGORIES, ENTERED, REJECTED, EntryMark
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.register.models import Household
from portal.blueprints.review.models import CONFIRMED, MeetingReview
from portal.extensions import db
from portal.refusal import Refused
from portal.timeutil import utcnow

STATUSES = (ENTERED, REJECTED)
REASON_MAX = 500
# Mark filters of the meeting page (query parameter `tanda`).
UNMARKED = "belum"
MARK_FILTERS = {UNMARKED: None, "dientri": ENTERED, "ditolak": REJECTED}


class EntryError(Refused):
    """The operator's mark was refused."""


@dataclass
class Family:
    """One family of the decided list, with its household in the register and its mark."""

    category: str
    kk: str
    head_name: str | None
    rt: str | None
    rw: str | None
    household_id: int | None
    reason: str | None = None  # keluar: the removal reason code
    reason_text: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)  # perbaikan
    members_added: list[dict[str, Any]] = field(default_factory=list)
    members_removed: list[dict[str, Any]] = field(default_factory=list)
    mark: EntryMark | None = None

    @property
    def mark_status(self) -> str | None:
        return self.mark.status if self.mark is not None else None


def decided_document(meeting: Meeting) -> dict[str, Any] | None:
    ba = ba_services.of_meeting(meeting.id)
    if ba is None or ba.status != DONE:
        return None
    assert ba.canonical is not None  # done: the table's check
    return json.loads(ba.canonical)


def decided_families(meeting: Meeting, document: dict[str, Any] | None = None) -> list[Family]:
    """Every family of the meeting's decided list (tetap, keluar, baru, perbaikan, in that
    order), each with its household id (by No. KK in the meeting's village) and current mark."""
    document = document if document is not None else decided_document(meeting)
    if document is None:
        return []
    households = dict(
        db.session.execute(
            select(Household.kk, Household.id).where(Household.village_code == meeting.village_code)
        ).all()
    )
    marks = {
        mark.household_id: mark
        for mark in db.session.execute(
            select(EntryMark).where(EntryMark.meeting_id == meeting.id)
        ).scalars()
    }
    families = []
    for category in CATEGORIES:
        for row in document["families"].get(category, []):
            kk = row.get("kk") or ""
            household_id = households.get(kk)
            families.append(
                Family(
                    category=category,
                    kk=kk,
                    head_name=row.get("head_name"),
                    rt=row.get("rt"),
                    rw=row.get("rw"),
                    household_id=household_id,
                    reason=row.get("reason"),
                    reason_text=row.get("reason_text"),
                    changes=row.get("changes") or [],
                    members_added=row.get("members_added") or [],
                    members_removed=row.get("members_removed") or [],
                    mark=marks.get(household_id) if household_id is not None else None,
                )
            )
    return families


def filter_families(
    families: Iterable[Family], *, category: str | None = None, mark: str | None = None
) -> list[Family]:
    """`category`: one of CATEGORIES or None for all; `mark`: a key of MARK_FILTERS or None."""
    shown = [f for f in families if category is None or f.category == category]
    if mark in MARK_FILTERS:
        shown = [f for f in shown if f.mark_status == MARK_FILTERS[mark]]
    return shown


def review_of(meeting_id: int) -> MeetingReview | None:
    return db.session.execute(
        select(MeetingReview).where(
            MeetingReview.meeting_id == meeting_id, MeetingReview.outcome == CONFIRMED
        )
    ).scalar_one_or_none()


def marked_count(meeting_id: int) -> int:
    return db.session.execute(
        select(func.count(EntryMark.id)).where(EntryMark.meeting_id == meeting_id)
    ).scalar_one()


def progress(meeting_id: int) -> tuple[int, int]:
    """(families marked, families to enter) of a confirmed meeting."""
    review = review_of(meeting_id)
    total = (review.entry_total or 0) if review is not None else 0
    return marked_count(meeting_id), total


def is_complete(meeting_id: int) -> bool:
    """Every decided family is marked (entered or rejected)."""
    if review_of(meeting_id) is None:
        return False
    marked, total = progress(meeting_id)
    return marked >= total


def is_open_for_entry(meeting: Meeting) -> bool:
    return meeting.state == states.CONFIRMED and review_of(meeting.id) is not None


def mark(
    meeting: Meeting,
    household_ids: Iterable[int],
    status: str,
    reason: str | None,
    user: Any,
    *,
    families: list[Family] | None = None,
) -> int:
    """Mark families of the meeting's decided list as entered in SIKS-NG or rejected by it.

    All or nothing: an unknown status, a rejection without a reason, a family outside the decided
    list refuse the whole call. Marks already set the same way stay untouched; the others are
    written by an upsert on (meeting, household), so two operators marking the same family at
    once leave one mark. Returns the number of families whose mark changed.
    """
    if not is_open_for_entry(meeting):
        raise EntryError(_("Hanya musyawarah yang sudah dikonfirmasi camat dapat ditandai."))
    if status not in STATUSES:
        raise EntryError(_("Pilih: dientri atau ditolak."), "status")
    reason = (reason or "").strip() or None
    if status == REJECTED and reason is None:
        raise EntryError(_("Tulis alasan penolakan dari SIKS-NG."), "reason")
    if reason is not None and len(reason) > REASON_MAX:
        raise EntryError(_("Alasan paling panjang %(n)d karakter.", n=REASON_MAX), "reason")
    if status == ENTERED:
        reason = None
    wanted = set(household_ids)
    if not wanted:
        raise EntryError(_("Pilih dulu keluarga yang akan ditandai."))
    families = families if families is not None else decided_families(meeting)
    by_household = {f.household_id: f for f in families if f.household_id is not None}
    if not wanted <= set(by_household):
        raise EntryError(
            _("Keluarga yang dipilih tidak ada dalam daftar keputusan musyawarah ini.")
        )
    changed = [
        by_household[household_id]
        for household_id in sorted(wanted)
        if not _same(by_household[household_id].mark, status, reason)
    ]
    if not changed:
        return 0
    now = utcnow()
    rows = [
        {
            "meeting_id": meeting.id,
            "household_id": family.household_id,
            "category": family.category,
            "status": status,
            "reason": reason,
            "marked_by": user.id,
            "marked_at": now,
        }
        for family in changed
    ]
    _upsert(rows)
    audit.record(
        "entry.mark",
        object_type="meeting",
        object_id=meeting.id,
        region_code=meeting.village_code,
        details={"families": len(changed), "status": status},
    )
    db.session.flush()
    # The upsert went around the session: marks it had loaded are stale now.
    for loaded in list(db.session.identity_map.values()):
        if isinstance(loaded, EntryMark):
            db.session.expire(loaded)
    return len(changed)


def _same(existing: EntryMark | None, status: str, reason: str | None) -> bool:
    return existing is not None and existing.status == status and existing.reason == reason


def _upsert(rows: list[dict[str, Any]]) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(EntryMark)
    statement = statement.on_conflict_do_update(
        index_elements=[EntryMark.meeting_id, EntryMark.household_id],
        set_={
            "status": statement.excluded.status,
            "reason": statement.excluded.reason,
            "marked_by": statement.excluded.marked_by,
            "marked_at": statement.excluded.marked_at,
        },
    )
    for start in range(0, len(rows), 500):
        db.session.execute(statement, rows[start : start + 500])


# --- the inbox ---------------------------------------------------------------------------------

INBOX_FILTERS = ("semua", "terbuka", "selesai")


@dataclass
class InboxPage:
    """The rows of one page, and what `_macros.pager` reads."""

    items: list[tuple[Meeting, MeetingReview, int]]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def inbox(shown: str = "semua", *, page: int = 1, per_page: int = 50, user: Any = None):
    """Confirmed meetings in the user's scope, the latest confirmation first, each with the
    number of families marked; `shown`: all, open (not every family marked) or complete."""
    marked = (
        select(func.count(EntryMark.id))
        .where(EntryMark.meeting_id == Meeting.id)
        .correlate(Meeting)
        .scalar_subquery()
    )
    stmt = (
        select(Meeting, MeetingReview, marked.label("marked"))
        .join(MeetingReview, MeetingReview.meeting_id == Meeting.id)
        .where(
            Meeting.state == states.CONFIRMED,
            MeetingReview.outcome == CONFIRMED,
            in_scope(Meeting.village_code, user),
        )
    )
    total_needed = func.coalesce(MeetingReview.entry_total, 0)
    if shown == "terbuka":
        stmt = stmt.where(marked < total_needed)
    elif shown == "selesai":
        stmt = stmt.where(marked >= total_needed)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = max(1, page)
    rows = db.session.execute(
        stmt.order_by(MeetingReview.created_at.desc(), MeetingReview.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return InboxPage([tuple(row) for row in rows], page, per_page, total)
