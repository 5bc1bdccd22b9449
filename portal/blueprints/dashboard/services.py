"""The progress dashboard's figures: per village, per kecamatan and for the whole area shown.

What each figure means (the same on the page, in the charts and in the CSV):

- **Period**: the last `months` calendar months (default 12) up to and including the current
  one, in the portal's time zone (Asia/Jakarta). "Today" comes from `today()` only.
- A meeting counts for the period when the camat **confirmed** it in the period (the date of its
  `MeetingReview` with outcome `confirmed`): that is when the register changed. Returned meetings
  never count; a confirmed addendum counts like any meeting.
- **Last confirmed meeting**: the village's most recently confirmed meeting (any time up to the
  end of the current month).
- **Families verified**: the families on the decided list of the village's latest meeting
  confirmed in the period — the berita acara's `counts.families` (tetap + keluar + perbaikan,
  the prelist the meeting went through). Not a sum over the period's meetings, which would count
  a family once per monthly meeting. Read as `MeetingReview.entry_total` minus the new families
  (confirm sets it to `counts.families + counts.baru`); the canonical JSON is read only for a
  review without `entry_total`.
- **Removed (by reason), added, corrected**: sums over the meetings confirmed in the period of
  the accepted `keluar`, `baru` and `perbaikan` decisions (the same rows as the berita acara's
  lists; a sealed meeting's decisions cannot change any more).
- **Entry progress**: the operators' marks (`EntryMark`, entered or rejected by SIKS-NG: both
  are done) over the families to enter (`MeetingReview.entry_total`), summed over the meetings
  confirmed in the period.
- **At risk of frozen data** ("berisiko data beku"): the village has no confirmed meeting, or its
  last one was confirmed more than `KabupatenRules.stale_months` months (default 3) before today
  — confirmed on day D, it is at risk from the day after D + stale_months months.

The figures come from a handful of aggregate queries over the area, each restricted to the
user's scope as well as to the area asked for.
"""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import func, select

from portal.access import code_range_condition, in_scope
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.entry.models import REJECTED, EntryMark
from portal.blueprints.meetings import services as meetings
from portal.blueprints.meetings.models import REMOVAL_REASONS, Meeting, Proposal
from portal.blueprints.regions.models import KABUPATEN, KECAMATAN, VILLAGE, Region
from portal.blueprints.review.models import CONFIRMED, MeetingReview
from portal.extensions import db
from portal.timeutil import utcnow

PERIODS = (3, 6, 12, 24)
DEFAULT_PERIOD = 12


def zone() -> ZoneInfo:
    name = "Asia/Jakarta"
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or name
    return ZoneInfo(name)


def today() -> date:
    """The dashboard's clock: the local date now. Tests freeze it here."""
    return utcnow().astimezone(zone()).date()


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier when negative), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone()).astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite gives it back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_date(moment: datetime) -> date:
    return _utc(moment).astimezone(zone()).date()


@dataclass
class LastMeeting:
    id: int
    number: str
    meeting_date: date
    confirmed_on: date


@dataclass
class Figures:
    """A village, a kecamatan or the whole area: the village figures summed."""

    code: str
    name: str
    villages: int = 0
    at_risk: int = 0
    meetings: int = 0
    families: int = 0
    removed_by_reason: dict[str, int] = field(default_factory=dict)
    added: int = 0
    corrected: int = 0
    entry_done: int = 0
    entry_rejected: int = 0
    entry_total: int = 0

    @property
    def removed(self) -> int:
        return sum(self.removed_by_reason.values())

    @property
    def entry_percent(self) -> int | None:
        """Whole percent, rounded down (100 only when all is done); None with nothing to enter."""
        if not self.entry_total:
            return None
        return min(100, self.entry_done * 100 // self.entry_total)

    def reasons(self) -> list[tuple[str, int]]:
        """Every known removal reason in a fixed order, then any other found in the data."""
        other = sorted(r for r in self.removed_by_reason if r not in REMOVAL_REASONS)
        return [(r, self.removed_by_reason.get(r, 0)) for r in (*REMOVAL_REASONS, *other)]

    def add(self, other: Figures) -> None:
        self.villages += other.villages
        self.at_risk += other.at_risk
        self.meetings += other.meetings
        self.families += other.families
        for reason, n in other.removed_by_reason.items():
            self.removed_by_reason[reason] = self.removed_by_reason.get(reason, 0) + n
        self.added += other.added
        self.corrected += other.corrected
        self.entry_done += other.entry_done
        self.entry_rejected += other.entry_rejected
        self.entry_total += other.entry_total


@dataclass
class VillageFigures(Figures):
    kecamatan_code: str = ""
    kecamatan_name: str = ""
    last: LastMeeting | None = None

    @property
    def is_at_risk(self) -> bool:
        return bool(self.at_risk)


@dataclass
class Month:
    start: date
    meetings: int = 0
    removed: int = 0
    added: int = 0
    corrected: int = 0

    @property
    def key(self) -> str:
        return self.start.strftime("%Y-%m")


@dataclass
class Dashboard:
    area: Region
    today: date
    months: list[Month]
    stale_months: int
    villages: list[VillageFigures]
    kecamatan: list[Figures]
    totals: Figures

    @property
    def period_start(self) -> date:
        return self.months[0].start

    @property
    def by_kecamatan(self) -> bool:
        """The area is a kabupaten: the page lists its kecamatan, each linking to its villages."""
        return self.area.level == KABUPATEN

    @property
    def stale_before(self) -> date:
        """A village whose last confirmation is before this day is at risk."""
        return add_months(self.today, -self.stale_months)


def is_stale(last_confirmed: date | None, on: date, stale_months: int) -> bool:
    """No confirmed meeting, or the last one confirmed more than `stale_months` months before."""
    return last_confirmed is None or last_confirmed < add_months(on, -stale_months)


def period_months(on: date, months: int) -> list[Month]:
    first = on.replace(day=1)
    return [Month(add_months(first, offset)) for offset in range(-(months - 1), 1)]


def build(area: Region, *, user: Any = None, months: int = DEFAULT_PERIOD) -> Dashboard:
    """The dashboard of `area` (a kabupaten or kecamatan inside the user's scope)."""
    if months not in PERIODS:
        raise ValueError(months)
    on = today()
    series = period_months(on, months)
    start = _local_midnight_utc(series[0].start)
    end = _local_midnight_utc(add_months(series[-1].start, 1))
    stale_months = meetings.rules_for(area.code[:4]).stale_months or 3

    def scoped(column: Any) -> tuple[Any, ...]:
        return in_scope(column, user), code_range_condition(column, area.code)

    names = {
        code: name
        for code, name in db.session.execute(
            select(Region.code, Region.name).where(
                Region.level.in_((KECAMATAN, VILLAGE)), *scoped(Region.code)
            )
        )
    }
    villages = {
        code: VillageFigures(
            code=code,
            name=names[code],
            villages=1,
            kecamatan_code=code[:6],
            kecamatan_name=names.get(code[:6], code[:6]),
        )
        for code in sorted(c for c in names if len(c) == 10)
    }

    confirmed = (
        select(
            Meeting.id.label("meeting_id"),
            Meeting.village_code,
            Meeting.number,
            Meeting.meeting_date,
            MeetingReview.created_at,
            MeetingReview.entry_total,
        )
        .join(MeetingReview, MeetingReview.meeting_id == Meeting.id)
        .where(MeetingReview.outcome == CONFIRMED, MeetingReview.created_at < end)
        .where(*scoped(Meeting.village_code))
    )
    ranked = confirmed.add_columns(
        func.row_number()
        .over(
            partition_by=Meeting.village_code,
            order_by=(MeetingReview.created_at.desc(), MeetingReview.id.desc()),
        )
        .label("rank")
    ).subquery()
    for row in db.session.execute(select(ranked).where(ranked.c.rank == 1)):
        village = villages.get(row.village_code)
        if village is not None:
            village.last = LastMeeting(
                row.meeting_id, row.number, row.meeting_date, local_date(row.created_at)
            )

    in_period = confirmed.where(MeetingReview.created_at >= start)
    period = {row.meeting_id: row for row in db.session.execute(in_period)}
    period_ids = select(in_period.subquery().c.meeting_id)
    decisions: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"keluar": {}, "baru": 0, "perbaikan": 0}
    )
    for meeting_id, kind, reason, count in db.session.execute(
        select(Proposal.meeting_id, Proposal.kind, Proposal.reason, func.count())
        .where(Proposal.accepted.is_(True), Proposal.meeting_id.in_(period_ids))
        .group_by(Proposal.meeting_id, Proposal.kind, Proposal.reason)
    ):
        if kind == "keluar":
            by_reason = decisions[meeting_id]["keluar"]
            by_reason[reason] = by_reason.get(reason, 0) + count
        else:
            decisions[meeting_id][kind] += count
    marks: dict[int, dict[str, int]] = defaultdict(dict)
    for meeting_id, status, count in db.session.execute(
        select(EntryMark.meeting_id, EntryMark.status, func.count())
        .where(EntryMark.meeting_id.in_(period_ids))
        .group_by(EntryMark.meeting_id, EntryMark.status)
    ):
        marks[meeting_id][status] = count

    by_month = {month.key: month for month in series}
    # Oldest confirmation first: the village's latest period meeting sets `families` last.
    for meeting_id, row in sorted(
        period.items(), key=lambda item: (_utc(item[1].created_at), item[0])
    ):
        village = villages.get(row.village_code)
        if village is None:
            continue
        confirmed_on = local_date(row.created_at)
        decided = decisions[meeting_id]
        removed = sum(decided["keluar"].values())
        village.meetings += 1
        for reason, n in decided["keluar"].items():
            village.removed_by_reason[reason] = village.removed_by_reason.get(reason, 0) + n
        village.added += decided["baru"]
        village.corrected += decided["perbaikan"]
        done = marks[meeting_id]
        village.entry_done += sum(done.values())
        village.entry_rejected += done.get(REJECTED, 0)
        total = row.entry_total
        families = total - decided["baru"] if total is not None else _families_from_ba(meeting_id)
        village.entry_total += total if total is not None else families + decided["baru"]
        village.families = families
        month = by_month.get(confirmed_on.strftime("%Y-%m"))
        if month is not None:
            month.meetings += 1
            month.removed += removed
            month.added += decided["baru"]
            month.corrected += decided["perbaikan"]

    kecamatan: dict[str, Figures] = {}
    totals = Figures(code=area.code, name=area.name)
    for village in villages.values():
        last = village.last.confirmed_on if village.last else None
        village.at_risk = int(is_stale(last, on, stale_months))
        group = kecamatan.get(village.kecamatan_code)
        if group is None:
            group = kecamatan[village.kecamatan_code] = Figures(
                code=village.kecamatan_code, name=village.kecamatan_name
            )
        group.add(village)
        totals.add(village)
    for code, name in names.items():  # kecamatan without villages still get their row
        if len(code) == 6 and code not in kecamatan:
            kecamatan[code] = Figures(code=code, name=name)
    return Dashboard(
        area=area,
        today=on,
        months=series,
        stale_months=stale_months,
        villages=list(villages.values()),
        kecamatan=[kecamatan[code] for code in sorted(kecamatan)],
        totals=totals,
    )


def _families_from_ba(meeting_id: int) -> int:
    """`counts.families` of the meeting's berita acara (for a review without `entry_total`)."""
    data = db.session.execute(
        select(BeritaAcara.canonical).where(BeritaAcara.meeting_id == meeting_id)
    ).scalar_one_or_none()
    if not data:
        return 0
    return int(json.loads(data)["counts"]["families"])


CSV_COLUMNS = (
    "kode_kecamatan",
    "kecamatan",
    "kode_desa_kelurahan",
    "desa_kelurahan",
    "musyawarah_terakhir_nomor",
    "musyawarah_terakhir_tanggal",
    "musyawarah_terakhir_dikonfirmasi",
    "musyawarah_dikonfirmasi_periode",
    "keluarga_diverifikasi",
    "keluar",
    *(f"keluar_{reason}" for reason in REMOVAL_REASONS),
    "baru",
    "perbaikan",
    "entri_selesai",
    "entri_ditolak_siks",
    "entri_total",
    "entri_persen",
    "berisiko_data_beku",
)
MONTHLY_CSV_COLUMNS = (
    "bulan",
    "musyawarah_dikonfirmasi",
    "keluarga_keluar",
    "keluarga_baru",
    "keluarga_perbaikan",
)


def village_csv_rows(dashboard: Dashboard) -> list[list[Any]]:
    rows = []
    for village in dashboard.villages:
        last = village.last
        rows.append(
            [
                village.kecamatan_code,
                village.kecamatan_name,
                village.code,
                village.name,
                last.number if last else "",
                last.meeting_date.isoformat() if last else "",
                last.confirmed_on.isoformat() if last else "",
                village.meetings,
                village.families,
                village.removed,
                *(village.removed_by_reason.get(reason, 0) for reason in REMOVAL_REASONS),
                village.added,
                village.corrected,
                village.entry_done,
                village.entry_rejected,
                village.entry_total,
                "" if village.entry_percent is None else village.entry_percent,
                "YA" if village.is_at_risk else "TIDAK",
            ]
        )
    return rows


def monthly_csv_rows(dashboard: Dashboard) -> list[list[Any]]:
    return [
        [month.key, month.meetings, month.removed, month.added, month.corrected]
        for month in dashboard.months
    ]


def log_download(area: Any, kind: str, months: int) -> None:
    """A dashboard CSV leaves the portal: recorded like every other download."""
    from portal import audit

    audit.record(
        "dashboard.download",
        object_type="region",
        object_id=area.code,
        region_code=area.code,
        details={"kind": kind, "months": months},
    )
