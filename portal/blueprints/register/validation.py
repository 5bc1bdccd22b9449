"""Validation of register rows: NIK and No. KK, names, dates, regions, duplicates.

Every rule gives a reason a village secretary understands. A row with an error is rejected
(never half-accepted); warnings are shown but do not reject.

Here each row is checked on its own; `values` reads one cell (NIK, date, RT/RW, village ...),
`file_checks` checks across the file (duplicates ...), `validated` holds the result.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import gettext as _

from portal.blueprints.register.file_checks import (
    reject_duplicates,
    reject_split_families,
    reject_zeroed_column,
)
from portal.blueprints.register.models import Household, Person
from portal.blueprints.register.reading import Table, column_name
from portal.blueprints.register.validated import Issue, PersonRow, Validated
from portal.blueprints.register.values import (
    RELATIONS,
    RegionResolver,
    nik_birth,
    nik_date_problem,
    padded,
    parse_date,
    parse_desil,
    parse_flag,
    parse_identity_number,
    parse_sex,
    text,
)
from portal.control_characters import has_control_characters

#: The file's text columns and the register column each is stored in. A value longer than its
#: column is refused with its row, never cut: a cut address or mother's name would be a silent
#: change of the register (issue 16.8).
STORED_IN = {
    "nama": Person.name,
    "tempat_lahir": Person.birth_place,
    "nama_ibu_kandung": Person.mother_name,
    "hubungan_keluarga": Person.relation,
    "alamat": Household.alamat,
    "dusun": Household.dusun,
    "rt": Household.rt,
    "rw": Household.rw,
    "iddtks": Household.iddtks,
}
MAX_LENGTHS: dict[str, int] = {
    column: attribute.property.columns[0].type.length for column, attribute in STORED_IN.items()
}


def _shared(value: str | None) -> str | None:
    """One string object for the values that repeat across a family or a village (address,
    RT/RW, relation): a 150,000-row import keeps far less in memory."""
    return sys.intern(value) if value else None


def validate_table(
    table: Table,
    *,
    target_codes: set[str],
    resolver: RegionResolver,
    today: date,
    single_village: str | None,
    on_progress: Callable[[int, int], None] | None = None,
    busy_codes: frozenset[str] = frozenset(),
) -> Validated:
    """Check every row on its own, then duplicates across the file. `on_progress(done, of)` is
    called every 5,000 rows (the background job shows it)."""
    cols = table.columns
    issues: list[Issue] = []
    candidates: list[PersonRow] = []
    rejected_ids: set[str] = set()
    width = table.header_width
    # Absent columns point at a None appended to each row: plain indexing in the loop.
    index = {
        name: cols.get(name, width)
        for name in (
            "nomor_nik",
            "nomor_kk",
            "nama",
            "tanggal_lahir",
            "jenis_kelamin",
            "desil",
            "kode_wilayah",
            "kecamatan",
            "desa_kelurahan",
            "hubungan_keluarga",
            "tempat_lahir",
            "nama_ibu_kandung",
            "alamat",
            "dusun",
            "rt",
            "rw",
            "iddtks",
            "pkh",
            "bpnt",
            "pbi",
        )
    }
    i_nik, i_kk, i_name, i_birth = (
        index[n] for n in ("nomor_nik", "nomor_kk", "nama", "tanggal_lahir")
    )
    i_sex, i_desil, i_code, i_kec, i_village = (
        index[n] for n in ("jenis_kelamin", "desil", "kode_wilayah", "kecamatan", "desa_kelurahan")
    )

    total_rows = 0
    for line, cells in table.rows:
        total_rows += 1
        if on_progress is not None and total_rows % 5000 == 0:
            on_progress(total_rows, table.estimated_rows)
        row_issues: list[Issue] = []

        def error(
            column: str | None, message: str, line: int = line, bucket: list = row_issues
        ) -> None:
            bucket.append(Issue(line, column, message))

        if not table.typed_cells and len(cells) != width:
            error(
                None,
                _(
                    "Jumlah kolom %(n)d, tidak sama dengan baris judul (%(m)d): periksa pemisah "
                    "atau tanda kutip di baris ini.",
                    n=len(cells),
                    m=width,
                ),
            )
            issues.extend(row_issues)
            for position in (i_nik, i_kk):
                raw = text(cells[position]) if position < len(cells) else ""
                if raw:
                    rejected_ids.add(raw)
            continue
        if len(cells) > width:
            del cells[width:]  # cells right of the header are not data
        cells.append(None)
        if _repeats_header(cells[i_nik], cells[i_kk]):
            error(
                None,
                _(
                    "Baris ini mengulang baris judul (mungkin beberapa berkas digabung). Hapus "
                    "baris ini lalu impor ulang."
                ),
            )
            issues.extend(row_issues)
            continue
        nik, problem = parse_identity_number(cells[i_nik], "NIK")
        if problem:
            error("nomor_nik", problem)
        elif nik is not None and (date_problem := nik_date_problem(nik)) is not None:
            error("nomor_nik", date_problem)
        kk, problem = parse_identity_number(cells[i_kk], "No. KK")
        if problem:
            error("nomor_kk", problem)
        name = text(cells[i_name])
        if not name:
            error("nama", _("Nama kosong."))
        birth = parse_date(cells[i_birth])
        if birth == "invalid":
            error(
                "tanggal_lahir",
                _("Tanggal lahir tidak terbaca; gunakan format TTTT-BB-HH atau HH-BB-TTTT."),
            )
            birth = None
        elif isinstance(birth, date) and birth > today:
            error("tanggal_lahir", _("Tanggal lahir %(d)s di masa depan.", d=birth.isoformat()))
        sex = parse_sex(cells[i_sex])
        if sex is False:
            error("jenis_kelamin", _("Jenis kelamin harus L atau P."))
            sex = None
        desil = parse_desil(cells[i_desil])
        if desil is False:
            error("desil", _("Desil harus angka 1 sampai 10."))
            desil = None
        village = resolver.resolve(cells[i_code], cells[i_kec], cells[i_village])
        if village is None:
            error(
                "kode_wilayah",
                _("Desa/kelurahan baris ini tidak dikenali; isi kolom kode_wilayah (10 digit)."),
            )
        elif village in busy_codes:
            error(
                "kode_wilayah",
                _(
                    "Desa/kelurahan %(code)s sedang menjalankan musyawarah: prelistnya tidak "
                    "diubah sampai berita acaranya dikunci atau musyawarahnya dibatalkan.",
                    code=village,
                ),
            )
        elif village not in target_codes:
            if single_village:
                error(
                    "kode_wilayah",
                    _(
                        "Baris ini milik wilayah %(code)s, bukan desa/kelurahan tujuan impor "
                        "(%(target)s).",
                        code=village,
                        target=single_village,
                    ),
                )
            else:
                error(
                    "kode_wilayah",
                    _("Wilayah %(code)s bukan desa/kelurahan di kabupaten/kota ini.", code=village),
                )
        flagged = {issue.column for issue in row_issues}
        for column, position in index.items():
            value = cells[position]
            if (
                value.__class__ is str
                and column not in flagged
                # An address typed over two lines in Excel keeps its line break (XML allows it).
                and has_control_characters(text(value), breaks_allowed=column == "alamat")
            ):
                error(
                    column,
                    _(
                        "Kolom %(column)s berisi karakter kontrol yang tidak terlihat (misalnya "
                        "tab vertikal atau ganti baris di dalam sel). Hapus karakter itu di "
                        "spreadsheet lalu impor ulang.",
                        column=column,
                    ),
                )
        # What each bounded column would store, measured before anything is stored.
        relation_raw = text(cells[index["hubungan_keluarga"]]).upper()
        stored = {
            "nama": name,
            "tempat_lahir": text(cells[index["tempat_lahir"]]),
            "nama_ibu_kandung": text(cells[index["nama_ibu_kandung"]]),
            "hubungan_keluarga": RELATIONS.get(relation_raw, relation_raw),
            "alamat": text(cells[index["alamat"]]),
            "dusun": text(cells[index["dusun"]]),
            "rt": padded(cells[index["rt"]]) or "",
            "rw": padded(cells[index["rw"]]) or "",
            "iddtks": text(cells[index["iddtks"]]),
        }
        flagged = {issue.column for issue in row_issues}
        for column, limit in MAX_LENGTHS.items():
            if len(stored[column]) > limit and column not in flagged:
                error(column, _too_long(column, limit, len(stored[column])))

        if row_issues:
            issues.extend(row_issues)
            for value in (nik, kk):
                if value:
                    rejected_ids.add(value)
            continue

        person = PersonRow(
            row=line,
            village_code=sys.intern(village),  # type: ignore[arg-type]
            kk=kk,  # type: ignore[arg-type]
            nik=nik,  # type: ignore[arg-type]
            name=name,
            sex=sex or None,
            birth_place=_shared(stored["tempat_lahir"]),
            birth_date=birth if isinstance(birth, date) else None,
            mother_name=stored["nama_ibu_kandung"] or None,
            relation=_shared(stored["hubungan_keluarga"]),
            alamat=_shared(stored["alamat"]),
            dusun=_shared(stored["dusun"]),
            rt=_shared(stored["rt"]),
            rw=_shared(stored["rw"]),
            iddtks=stored["iddtks"] or None,
            pkh=parse_flag(cells[index["pkh"]]),
            bpnt=parse_flag(cells[index["bpnt"]]),
            pbi=parse_flag(cells[index["pbi"]]),
            desil=desil or None,
        )
        issues.extend(_warnings(person))
        candidates.append(person)

    valid = reject_duplicates(candidates, issues, rejected_ids)
    valid = reject_split_families(valid, issues, rejected_ids)
    valid = reject_zeroed_column(valid, issues, rejected_ids)
    issues.sort(key=lambda i: (i.row, i.severity != "error"))
    return Validated(valid, issues, rejected_ids, total_rows=total_rows)


def _repeats_header(nik_cell: Any, kk_cell: Any) -> bool:
    """A header row inside the data (two exports pasted into one file)."""
    return (
        nik_cell.__class__ is str
        and nik_cell.strip()[:1].isalpha()
        and column_name(nik_cell) == "nomor_nik"
        and column_name(kk_cell) == "nomor_kk"
    )


def _too_long(column: str, limit: int, length: int) -> str:
    if column in ("rt", "rw"):
        return _(
            "%(label)s paling banyak %(max)d angka, misalnya 001 (berisi %(n)d karakter). "
            "Perbaiki di spreadsheet lalu impor ulang.",
            label=column.upper(),
            max=limit,
            n=length,
        )
    return _(
        "Kolom %(column)s lebih dari %(max)d karakter (berisi %(n)d karakter); isinya tidak "
        "dipotong. Perpendek di spreadsheet lalu impor ulang.",
        column=column,
        max=limit,
        n=length,
    )


def _warnings(person: PersonRow) -> list[Issue]:
    found = []
    sex, day, month, year = nik_birth(person.nik)
    if person.sex and person.sex != sex:
        found.append(
            Issue(
                person.row,
                "jenis_kelamin",
                _("Jenis kelamin %(s)s tidak sesuai dengan NIK (%(n)s).", s=person.sex, n=sex),
                "warning",
            )
        )
    born = person.birth_date
    if born and (born.day, born.month, born.year % 100) != (day, month, year):
        found.append(
            Issue(
                person.row,
                "tanggal_lahir",
                _("Tanggal lahir tidak sesuai dengan digit tanggal dalam NIK."),
                "warning",
            )
        )
    return found
