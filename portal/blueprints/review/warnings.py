"""Warnings worth a look before the camat confirms: signs of a meeting that was not really held
as recorded (DOMAIN: meetings never held, lists that skipped the meeting).

Each is a hint, not a verdict: the camat reads it with the berita acara and the scan. The
thresholds are here, in one place, with the reason for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.meetings import services as meetings
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting, Participant
from portal.blueprints.regions.models import Region
from portal.extensions import db
from portal.personal_data import mask_id
from portal.timeutil import as_utc, local_date

# Quorum "barely" held: at most this many voters above the minimum.
QUORUM_MARGIN = 1
# A share of removals above this is unusual for one meeting (a monthly update removes a few).
REMOVAL_SHARE = 0.20
# A real meeting takes time: opening, reading the list, discussing each proposal.
MIN_MEETING = timedelta(minutes=15)
PER_PROPOSAL = timedelta(seconds=20)
# Attending two meetings whose start times are closer than this is not possible.
SAME_HOUR = timedelta(minutes=60)


CATEGORY_LABELS = {"tetap": _l("tetap"), "keluar": _l("keluar"), "perbaikan": _l("perbaikan")}


@dataclass
class Warning:
    kind: str
    message: str
    details: list[str] | None = None


def for_meeting(meeting: Meeting, ba: BeritaAcara, document: dict[str, Any]) -> list[Warning]:
    found: list[Warning] = []
    attendance = document["attendance"]
    counts = document["counts"]
    # The quorum counts invited voters only (format 1 documents: counted from the participants).
    present = attendance.get("present_invited_voters")
    if present is None:
        present = sum(
            1
            for p in attendance["participants"]
            if p["votes"] and p["present"] and not p["walk_in"]
        )
    needed = attendance["quorum_required"]
    if present - needed <= QUORUM_MARGIN:
        found.append(
            Warning(
                "quorum",
                _(
                    "Kuorum nyaris tidak terpenuhi: %(present)d pemilih hadir, minimal %(needed)d.",
                    present=present,
                    needed=needed,
                ),
            )
        )
    families = counts["families"] or 0
    if families and counts["keluar"] / families > REMOVAL_SHARE:
        found.append(
            Warning(
                "removals",
                _(
                    "Jumlah keluarga keluar tidak biasa: %(n)d dari %(total)d keluarga "
                    "(%(share)d%%).",
                    n=counts["keluar"],
                    total=families,
                    share=round(100 * counts["keluar"] / families),
                ),
            )
        )
    held = _held_date(meeting)
    if held is not None and held != meeting.meeting_date:
        found.append(
            Warning(
                "other_day",
                _(
                    "Musyawarah tidak dilaksanakan pada tanggal yang dijadwalkan: dijadwalkan "
                    "%(scheduled)s, dilaksanakan %(held)s.",
                    scheduled=format_date(meeting.meeting_date, "long"),
                    held=format_date(held, "long"),
                ),
            )
        )
    rules = meetings.rules_for(meeting.village_code[:4])
    if (held or meeting.meeting_date).day > rules.cycle_last_day:
        found.append(
            Warning(
                "cycle",
                _(
                    "Musyawarah diadakan di luar jendela siklus (tanggal 1–%(day)d setiap bulan).",
                    day=rules.cycle_last_day,
                ),
            )
        )
    opened, decided = as_utc(meeting.opened_at), as_utc(meeting.decided_at)
    if opened and decided:
        decisions = counts["keluar"] + counts["baru"] + counts["perbaikan"] + counts["rejected"]
        plausible = max(MIN_MEETING, PER_PROPOSAL * decisions)
        took = decided - opened
        if took < plausible:
            found.append(
                Warning(
                    "duration",
                    _(
                        "Musyawarah diputuskan dalam waktu yang sangat singkat: %(minutes)d "
                        "menit untuk %(n)d keputusan.",
                        minutes=int(took.total_seconds() // 60),
                        n=decisions,
                    ),
                )
            )
    elsewhere = _attended_elsewhere(meeting)
    if elsewhere:
        found.append(
            Warning(
                "elsewhere",
                _(
                    "%(n)d peserta juga tercatat hadir di musyawarah lain pada jam yang sama.",
                    n=len(elsewhere),
                ),
                elsewhere,
            )
        )
    contradictions = meetings.contradictions(meeting)
    if contradictions:
        found.append(
            Warning(
                "contradiction",
                _(
                    "%(n)d keluarga diputuskan lain dalam musyawarah lain periode ini: satu "
                    "keluarga hanya boleh satu keputusan per periode.",
                    n=len({c.kk for c in contradictions}),
                ),
                [
                    _(
                        "%(head)s (KK %(kk)s): di sini %(here)s, di musyawarah %(number)s "
                        "(%(date)s) %(there)s",
                        head=c.head_name or "—",
                        kk=mask_id(c.kk),
                        here=CATEGORY_LABELS.get(c.outcome, c.outcome),
                        number=c.other_number,
                        date=c.other_date.strftime("%d-%m-%Y"),
                        there=CATEGORY_LABELS.get(c.other_outcome, c.other_outcome),
                    )
                    for c in contradictions
                ],
            )
        )
    if ba.scan is None:
        found.append(
            Warning("scan", _("Pindaian berita acara yang ditandatangani belum diunggah."))
        )
    return found


def _held_date(meeting: Meeting) -> date | None:
    """The date the meeting was really opened, in the region's zone (None: never opened)."""
    if meeting.opened_at is None:
        return None
    return local_date(meeting.opened_at, meeting.village_code)


def _attended_elsewhere(meeting: Meeting) -> list[str]:
    """Present participants (by NIK) of this meeting also present at another meeting of the
    same day that started within the hour. Names without a NIK cannot be told apart."""
    if meeting.start_time is None:
        return []
    here, there = aliased(Participant), aliased(Participant)
    other = aliased(Meeting)
    rows = db.session.execute(
        select(here.name, here.nik, other.number, other.start_time, Region.name)
        .join(there, (there.nik == here.nik) & (there.meeting_id != here.meeting_id))
        .join(other, other.id == there.meeting_id)
        .join(Region, Region.code == other.village_code)
        .where(
            here.meeting_id == meeting.id,
            here.present.is_(True),
            here.nik.is_not(None),
            there.present.is_(True),
            other.meeting_date == meeting.meeting_date,
            other.state != states.CANCELLED,
        )
        .order_by(here.name)
    ).all()
    start = datetime.combine(meeting.meeting_date, meeting.start_time)
    found = []
    for name, nik, number, other_start, village in rows:
        if other_start is None:
            continue
        gap = abs(datetime.combine(meeting.meeting_date, other_start) - start)
        if gap < SAME_HOUR:
            found.append(
                _(
                    "%(name)s (NIK %(nik)s): juga di %(number)s, %(village)s, pukul %(time)s",
                    name=name,
                    nik=mask_id(nik),
                    number=number,
                    village=village,
                    time=other_start.strftime("%H:%M"),
                )
            )
    return found
