"""A family's history as a person reads it: each `HouseholdEvent` with its label and its changes
in words ("Keluarga ditambahkan dari impor prelist", "RT: 001 → 007"), never the stored keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.blueprints.register.models import MEETING_REASON_LABELS, NOT_IN_PRELIST, HouseholdEvent
from portal.extensions import db

EVENT_LABELS: dict[str, Any] = {
    "created": _l("Keluarga ditambahkan ke register"),
    "added": _l("Keluarga baru ditambahkan oleh musyawarah"),
    "removed": _l("Keluarga dikeluarkan dari register"),
    "reactivated": _l("Keluarga diaktifkan kembali"),
    "updated": _l("Data keluarga diperbarui"),
    "corrected": _l("Data keluarga diperbaiki oleh musyawarah"),
    "member_added": _l("Anggota keluarga ditambahkan"),
    "member_removed": _l("Anggota keluarga dihapus"),
    "member_updated": _l("Data anggota keluarga diperbarui"),
}

SOURCE_LABELS: dict[str, Any] = {
    "import": _l("impor prelist"),
    "meeting": _l("musyawarah"),
}

FIELD_LABELS: dict[str, Any] = {
    "status": _l("Status"),
    "reason": _l("Alasan"),
    "alamat": _l("Alamat"),
    "dusun": _l("Dusun"),
    "rt": _l("RT"),
    "rw": _l("RW"),
    "members": _l("Anggota"),
    "iddtks": _l("ID register"),
    "desil": _l("Desil"),
    "pkh": "PKH",
    "bpnt": "BPNT",
    "pbi": "PBI",
    "name": _l("Nama"),
    "relation": _l("Hubungan"),
    "sex": _l("L/P"),
    "birth_place": _l("Tempat lahir"),
    "birth_date": _l("Tanggal lahir"),
    "mother_name": _l("Ibu kandung"),
}

STATUS_LABELS: dict[str, Any] = {
    "active": _l("aktif"),
    "removed": _l("keluar"),
    "proposed": _l("usulan"),
}

# Never shown in the history: a full NIK (the members' table shows them masked).
HIDDEN = {"nik"}


@dataclass
class Change:
    label: str
    before: str | None
    after: str | None


@dataclass
class HistoryItem:
    at: datetime
    label: str
    source: str | None
    import_id: int | None
    meeting_id: int | None
    changes: list[Change] = field(default_factory=list)


def event_label(kind: str) -> str:
    return str(EVENT_LABELS[kind]) if kind in EVENT_LABELS else kind.replace("_", " ").capitalize()


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    if key == "status":
        return str(STATUS_LABELS.get(value, value))
    if key == "reason":
        if value == NOT_IN_PRELIST:
            return _("tidak ada lagi di prelist")
        return str(MEETING_REASON_LABELS.get(value, value))
    if key == "members":
        count = len(value) if isinstance(value, list | tuple) else value
        return _("%(num)s orang", num=count)
    return str(value)


def changes_of(event: HouseholdEvent) -> list[Change]:
    before, after = event.before or {}, event.after or {}
    keys = list(after) + [key for key in before if key not in after]
    changes = []
    for key in keys:
        if key in HIDDEN:
            continue
        if key in before and key in after and before[key] == after[key]:
            continue
        label = str(FIELD_LABELS.get(key, key.replace("_", " ")))
        changes.append(
            Change(
                label,
                _value(key, before[key]) if key in before else None,
                _value(key, after[key]) if key in after else None,
            )
        )
    return changes


def family_history(household_id: int, limit: int = 100) -> list[HistoryItem]:
    """The family's latest events, newest first, in words."""
    events = db.session.execute(
        select(HouseholdEvent)
        .where(HouseholdEvent.household_id == household_id)
        .order_by(HouseholdEvent.id.desc())
        .limit(limit)
    ).scalars()
    return [
        HistoryItem(
            at=event.created_at,
            label=event_label(event.kind),
            source=str(SOURCE_LABELS[event.source]) if event.source in SOURCE_LABELS else None,
            import_id=event.import_id,
            meeting_id=event.meeting_id,
            changes=changes_of(event),
        )
        for event in events
    ]
