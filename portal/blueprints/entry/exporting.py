"""A confirmed meeting's decided list for SIKS-NG entry, as XLSX (one sheet per category) and CSV.

One row per person of each decided family, read from the register (the family by its No. KK in
the meeting's own village, with its members) in the register export's columns, followed by what
the meeting decided about the family and the operator's mark. A family is never looked up outside
the meeting's village, so nothing outside the operator's scope can slip in. Every cell goes
through `neutralise` (formula injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.blueprints.entry.models import CATEGORIES, ENTERED, REJECTED
from portal.blueprints.entry.services import Family, decided_families
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.register.exporting import neutralise, person_values, region_names
from portal.blueprints.register.models import Household
from portal.blueprints.register.reading import COLUMNS
from portal.extensions import db

DECISION_COLUMNS = ("keputusan", "alasan", "keterangan", "nomor_musyawarah", "status_entri")
EXPORT_COLUMNS = (*COLUMNS, *DECISION_COLUMNS)
SHEET_NAMES = {"tetap": "Tetap", "keluar": "Keluar", "baru": "Baru", "perbaikan": "Perbaikan"}
ENTRY_STATUS = {None: "belum", ENTERED: "dientri", REJECTED: "ditolak"}


def _explanation(family: Family) -> str:
    """The keluar family's reason text, or the perbaikan family's changes."""
    if family.category == "keluar":
        return family.reason_text or ""
    if family.category != "perbaikan":
        return ""
    parts = [
        f"{change.get('field')}: {change.get('before') or '-'} → {change.get('after') or '-'}"
        for change in family.changes
    ]
    parts += [
        f"anggota ditambah: {m.get('nik') or '-'} {m.get('name') or ''}".rstrip()
        for m in family.members_added
    ]
    parts += [
        f"anggota dihapus: {m.get('nik') or '-'} {m.get('name') or ''}".rstrip()
        for m in family.members_removed
    ]
    return "; ".join(parts)


def _decision_values(family: Family, meeting: Meeting) -> dict[str, Any]:
    mark = family.mark
    return {
        "keputusan": family.category,
        "alasan": family.reason or "",
        "keterangan": _explanation(family),
        "nomor_musyawarah": meeting.number,
        "status_entri": ENTRY_STATUS[mark.status if mark is not None else None],
    }


def export_rows(meeting: Meeting) -> Iterator[tuple[str, list[str]]]:
    """(category, row) for every person of every decided family, category by category."""
    families = decided_families(meeting)
    names = region_names(meeting.village_code)
    ids = [f.household_id for f in families if f.household_id is not None]
    households: dict[int, Household] = {}
    for start in range(0, len(ids), 500):
        households.update(
            (h.id, h)
            for h in db.session.execute(
                select(Household)
                .where(
                    Household.village_code == meeting.village_code,
                    Household.id.in_(ids[start : start + 500]),
                )
                .options(selectinload(Household.members))
            ).scalars()
        )
    for family in families:
        decision = _decision_values(family, meeting)
        household = households.get(family.household_id) if family.household_id else None
        if household is None or not household.members:
            # Not in the register (should not happen after the confirmation): what the berita
            # acara knows, so that the family is not silently left out.
            values = {
                "provinsi": names.get(1),
                "kabupaten_kota": names.get(2),
                "kecamatan": names.get(3),
                "desa_kelurahan": names.get(4),
                "kode_wilayah": meeting.village_code,
                "rt": family.rt,
                "rw": family.rw,
                "nomor_kk": family.kk,
                "nama": family.head_name,
            }
            yield family.category, _row({**values, **decision})
            continue
        for member in household.members:
            yield family.category, _row({**person_values(household, member, names), **decision})


def _row(values: dict[str, Any]) -> list[str]:
    return [neutralise(values.get(column)) for column in EXPORT_COLUMNS]


def export_csv(meeting: Meeting) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(row for _category, row in export_rows(meeting))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def export_xlsx(meeting: Meeting) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheets = {}
    for category in CATEGORIES:
        sheet = workbook.create_sheet(SHEET_NAMES[category])
        sheet.append(list(EXPORT_COLUMNS))
        sheets[category] = sheet
    for category, row in export_rows(meeting):
        sheet = sheets[category]
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "@"  # text: NIK and KK stay 16 digits in Excel
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
