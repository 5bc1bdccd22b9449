"""Export of a village's current list in the register export's columns (XLSX and CSV).

Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return at the
start) are neutralised with a leading apostrophe; the importer strips it again, so
import → export → import changes nothing. Control characters already stored are removed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.blueprints.regions.models import Region
from portal.blueprints.register.models import ACTIVE, Household, Person
from portal.blueprints.register.reading import COLUMNS
from portal.control_characters import without_control_characters
from portal.extensions import db

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """A cell safe to write: no formula, no control character (stored before the import refused
    them; openpyxl cannot write them at all)."""
    text = "" if value is None else without_control_characters(str(value))
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def region_names(village_code: str) -> dict[int, str]:
    """The names of the village and its ancestors, by level (1 province … 4 village)."""
    village = db.session.get(Region, village_code)
    assert village is not None  # the code of a loaded region or meeting
    return {r.level: r.name for r in [*village.ancestors(), village]}


YES_NO = {True: "YA", False: "TIDAK"}


def person_values(household: Household, member: Person, names: dict[int, str]) -> dict[str, Any]:
    """One person of a family in the register export's columns (`COLUMNS`), not neutralised."""
    return {
        "iddtks": household.iddtks,
        "provinsi": names.get(1),
        "kabupaten_kota": names.get(2),
        "kecamatan": names.get(3),
        "desa_kelurahan": names.get(4),
        "kode_wilayah": household.village_code,
        "alamat": household.alamat,
        "dusun": household.dusun,
        "rt": household.rt,
        "rw": household.rw,
        "nomor_kk": household.kk,
        "nomor_nik": member.nik,
        "nama": member.name,
        "tanggal_lahir": member.birth_date.isoformat() if member.birth_date else "",
        "tempat_lahir": member.birth_place,
        "jenis_kelamin": member.sex,
        "nama_ibu_kandung": member.mother_name,
        "hubungan_keluarga": member.relation,
        "pkh": YES_NO[bool(household.pkh)],
        "bpnt": YES_NO[bool(household.bpnt)],
        "pbi": YES_NO[bool(household.pbi)],
        "desil": household.desil,
    }


def export_rows(village_code: str) -> Iterator[list[str]]:
    names = region_names(village_code)
    households = db.session.execute(
        select(Household)
        .where(Household.village_code == village_code, Household.status == ACTIVE)
        .options(selectinload(Household.members))
        .order_by(Household.rw, Household.rt, Household.kk)
    ).scalars()
    for household in households:
        for member in household.members:
            values = person_values(household, member, names)
            yield [neutralise(values[column]) for column in COLUMNS]


def export_csv(village_code: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(export_rows(village_code))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def export_xlsx(village_code: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("prelist")
    sheet.append(list(COLUMNS))
    for row in export_rows(village_code):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "@"  # text: NIK and KK stay 16 digits in Excel
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
