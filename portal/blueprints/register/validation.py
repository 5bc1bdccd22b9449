"""Validation of register rows: NIK and No. KK, names, dates, regions, duplicates.

Every rule gives a reason a village secretary understands. A row with an error is rejected
(never half-accepted); warnings are shown but do not reject.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from flask_babel import gettext as _

from portal.blueprints.register.models import Household, Person
from portal.blueprints.register.reading import Table, column_name
from portal.control_characters import has_control_characters

_DIGITS = re.compile(r"^\d+$", re.ASCII)
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE][+]?\d+$")
_DECIMAL = re.compile(r"^\d+[.,]\d*$", re.ASCII)
_FORMULA_PREFIX = ("=", "+", "-", "@", "\t", "\r")

RELATIONS = {
    "1": "KEPALA KELUARGA",
    "2": "SUAMI",
    "3": "ISTRI",
    "4": "ANAK",
    "5": "MENANTU",
    "6": "CUCU",
    "7": "ORANG TUA",
    "8": "MERTUA",
    "9": "FAMILI LAIN",
    "10": "LAINNYA",
}
HEAD = "KEPALA KELUARGA"

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


@dataclass
class Issue:
    row: int
    column: str | None
    message: str
    severity: str = "error"  # or "warning"

    def as_list(self) -> list[Any]:
        return [self.row, self.column, self.message, self.severity]


@dataclass(slots=True)
class PersonRow:
    row: int
    village_code: str
    kk: str
    nik: str
    name: str
    sex: str | None = None
    birth_place: str | None = None
    birth_date: date | None = None
    mother_name: str | None = None
    relation: str | None = None
    alamat: str | None = None
    dusun: str | None = None
    rt: str | None = None
    rw: str | None = None
    iddtks: str | None = None
    pkh: bool = False
    bpnt: bool = False
    pbi: bool = False
    desil: int | None = None


@dataclass
class RegionResolver:
    """Which village a row belongs to: by its code, else by kecamatan and village names."""

    villages: dict[str, tuple[str, str]]  # code → (kecamatan name, village name)
    by_names: dict[tuple[str, str], str] = field(default_factory=dict)
    by_village_name: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code, (kecamatan, village) in self.villages.items():
            self.by_names[(_norm(kecamatan), _norm(village))] = code
            self.by_village_name.setdefault(_norm(village), []).append(code)

    def resolve(self, code_cell: Any, kecamatan: Any, village: Any) -> str | None:
        code = re.sub(r"[.\s]", "", text(code_cell))
        if code:
            return code
        by_pair = self.by_names.get((_norm(kecamatan), _norm(village)))
        if by_pair:
            return by_pair
        candidates = self.by_village_name.get(_norm(village), [])
        return candidates[0] if len(candidates) == 1 else None


def _norm(value: Any) -> str:
    value = re.sub(r"^(desa|kelurahan|kecamatan|kec\.?|kel\.?)\s+", "", text(value).lower())
    return re.sub(r"\s+", " ", value).strip()


def text(value: Any) -> str:
    """A cell as text, with spreadsheet neutralising undone (`'=x` → `=x`)."""
    if value.__class__ is not str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value)
    result = value.strip()
    if result[:1] == "'" and result[1:2] in _FORMULA_PREFIX and len(result) > 1:
        result = result[1:]
    return result


def parse_identity_number(value: Any, label: str) -> tuple[str | None, str | None]:
    """(16 digits, None) or (None, reason). `label` is NIK or No. KK."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float):
        return None, _(
            "%(label)s tersimpan sebagai angka di spreadsheet (%(value)s): angka 16 digit "
            "kehilangan digit terakhirnya. Format kolom sebagai Teks lalu ketik ulang.",
            label=label,
            value=f"{value:.6g}" if isinstance(value, float) else str(value),
        )
    # Digits grouped by spaces (also the no-break spaces of a copied web page) are one number.
    raw = "".join(text(value).split()).lstrip("'")
    if not raw:
        return None, _("%(label)s kosong.", label=label)
    if _SCIENTIFIC.match(raw):
        return None, _(
            "%(label)s tertulis sebagai notasi ilmiah (%(value)s): spreadsheet menyimpannya "
            "sebagai angka dan digit terakhir hilang. Format kolom sebagai Teks lalu ketik ulang.",
            label=label,
            value=raw[:20],
        )
    if _DECIMAL.match(raw):
        return None, _(
            "%(label)s tertulis sebagai angka desimal (%(value)s): nilai ini tidak dapat "
            "dipercaya. Format kolom sebagai Teks lalu ketik ulang.",
            label=label,
            value=raw[:24],
        )
    if not _DIGITS.match(raw):
        return None, _("%(label)s hanya boleh berisi angka.", label=label)
    if len(raw) != 16:
        return None, _("%(label)s harus 16 digit (berisi %(n)d digit).", label=label, n=len(raw))
    if raw.endswith("0000"):
        return None, _(
            "Nomor urut %(label)s 0000 tidak mungkin: digit terakhirnya kemungkinan hilang "
            "karena spreadsheet.",
            label=label,
        )
    return raw, None


def nik_date_problem(nik: str) -> str | None:
    """The birth date digits (DDMMYY, day + 40 for women) must be possible."""
    day, month = int(nik[6:8]), int(nik[8:10])
    if day > 40:
        day -= 40
    if not 1 <= month <= 12:
        return _("Bulan lahir dalam NIK (digit 9–10) tidak mungkin: %(m)s.", m=nik[8:10])
    if not 1 <= day <= 31 or not _possible_day(day, month):
        return _(
            "Tanggal lahir dalam NIK (digit 7–8) tidak mungkin: %(d)s (1–31 untuk laki-laki, "
            "41–71 untuk perempuan).",
            d=nik[6:8],
        )
    return None


def _possible_day(day: int, month: int) -> bool:
    try:
        date(2000, month, day)  # a leap year: 29 February is possible
    except ValueError:
        return False
    return True


def nik_birth(nik: str) -> tuple[str, int, int, int]:
    """(sex, day, month, two-digit year) encoded in a valid NIK."""
    day = int(nik[6:8])
    sex = "P" if day > 40 else "L"
    return sex, day - 40 if day > 40 else day, int(nik[8:10]), int(nik[10:12])


def parse_date(value: Any) -> date | str | None:
    """A date, None when empty, or the string 'invalid'."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 1 < value < 80000:  # an Excel serial day number
        return date(1899, 12, 30) + timedelta(days=int(value))
    raw = text(value)
    if len(raw) == 10 and raw[4] == "-":
        try:
            return date.fromisoformat(raw)  # the export's own format: the fast path
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return "invalid"


def parse_sex(value: Any) -> str | Literal[False] | None:
    raw = text(value).upper()
    if not raw:
        return None
    if raw in ("L", "LK", "LAKI-LAKI", "LAKI LAKI", "LAKI", "1", "M"):
        return "L"
    if raw in ("P", "PR", "PEREMPUAN", "WANITA", "2", "F"):
        return "P"
    return False


def _shared(value: str | None) -> str | None:
    """One string object for the values that repeat across a family or a village (address,
    RT/RW, relation): a 150,000-row import keeps far less in memory."""
    return sys.intern(value) if value else None


def parse_flag(value: Any) -> bool:
    return text(value).upper() in ("YA", "Y", "1", "TRUE", "YES", "V", "ADA")


def parse_desil(value: Any) -> int | bool | None:
    raw = text(value)
    if not raw:
        return None
    if raw.isdigit() and 1 <= int(raw) <= 10:
        return int(raw)
    return False


def padded(value: Any) -> str | None:
    """RT/RW as three digits ("1" → "001", "0012" → "012"); other text as written. Never cut:
    a value longer than three is the validator's to refuse."""
    raw = text(value)
    if not raw:
        return None
    return raw.lstrip("0").zfill(3) if raw.isascii() and raw.isdigit() else raw


@dataclass
class Validated:
    rows: list[PersonRow]
    issues: list[Issue]
    rejected_ids: set[str]  # NIKs and KKs seen on rejected rows (their families are held)
    total_rows: int


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

    valid = _reject_duplicates(candidates, issues, rejected_ids)
    valid = _reject_split_families(valid, issues, rejected_ids)
    valid = _reject_zeroed_column(valid, issues, rejected_ids)
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


def _reject_duplicates(
    rows: list[PersonRow], issues: list[Issue], rejected_ids: set[str]
) -> list[PersonRow]:
    seen: dict[str, list[int]] = defaultdict(list)
    for person in rows:
        seen[person.nik].append(person.row)
    duplicated = {nik for nik, lines in seen.items() if len(lines) > 1}
    if not duplicated:
        return rows
    kept = []
    for person in rows:
        if person.nik in duplicated:
            others = ", ".join(str(n) for n in seen[person.nik] if n != person.row)
            issues.append(
                Issue(
                    person.row,
                    "nomor_nik",
                    _("NIK yang sama juga ada di baris %(rows)s.", rows=others),
                )
            )
            rejected_ids.update((person.nik, person.kk))
        else:
            kept.append(person)
    return kept


def _reject_split_families(
    rows: list[PersonRow], issues: list[Issue], rejected_ids: set[str]
) -> list[PersonRow]:
    """One KK lives in one village: a KK spread over villages is rejected whole."""
    villages: dict[str, set[str]] = defaultdict(set)
    for person in rows:
        villages[person.kk].add(person.village_code)
    split = {kk for kk, codes in villages.items() if len(codes) > 1}
    if not split:
        return rows
    kept = []
    for person in rows:
        if person.kk in split:
            issues.append(
                Issue(
                    person.row,
                    "nomor_kk",
                    _("No. KK yang sama tercatat di lebih dari satu desa/kelurahan."),
                )
            )
            rejected_ids.update((person.nik, person.kk))
        else:
            kept.append(person)
    return kept


def _reject_zeroed_column(
    rows: list[PersonRow], issues: list[Issue], rejected_ids: set[str]
) -> list[PersonRow]:
    """Excel keeps 15 significant digits: a column stored as numbers ends every NIK in 0.

    About one NIK in ten ends in 0 naturally; far more than that means the column was damaged
    and the numbers cannot be trusted, so those rows are flagged.
    """
    zero = [p for p in rows if p.nik.endswith("0")]
    # A big file: far more than the natural one in ten. A small one: every NIK (at least four).
    damaged = (len(rows) >= 20 and len(zero) / len(rows) >= 0.5) or (
        4 <= len(rows) < 20 and len(zero) == len(rows)
    )
    if not damaged:
        return rows
    message = _(
        "Sebagian besar NIK di berkas ini berakhir dengan 0: kolom NIK kemungkinan pernah "
        "disimpan sebagai angka dan digit terakhirnya hilang. Periksa NIK ini."
    )
    for person in zero:
        issues.append(Issue(person.row, "nomor_nik", message))
        rejected_ids.update((person.nik, person.kk))
    return [p for p in rows if not p.nik.endswith("0")]
