"""Synthetic register (DTKS/DTSEN) export files: one row per person, families consecutive.

Used by the tests, the demo seed and the benchmarks. Pure Python (no database, no app), and
deterministic: the same villages, options and seed give the same rows on every run and
platform (only `random.Random` seeded with ints or strings is used).

    rows, damages = generate(villages, families_per_village=50, seed=1,
                             damage={"nik_short": 3, "nik_duplicate": 2})
    write(rows, tmp_path / "export.xlsx", "xlsx")

Every value is a string. `damage` spoils a given number of rows, one way per row, and the
returned `Damage` list says which row, how and in which column; the other rows are exactly the
rows the same call without `damage` gives (the damage uses its own random stream).
"""

from __future__ import annotations

import csv
import gc
import math
import random
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

# The export's columns, in order: the same list the importer reads.
from portal.blueprints.register.reading import COLUMNS

#: Ages and "future" birth dates are relative to this fixed date, so output is deterministic.
REFERENCE_DATE = date(2026, 11, 1)

FORMATS = ("csv", "csv-semicolon", "pipe", "xlsx")
DELIMITERS = {"csv": ",", "csv-semicolon": ";", "pipe": "|"}

DAMAGE_KINDS = (
    "nik_scientific",
    "nik_float",
    "nik_short",
    "kk_short",
    "nik_bad_day",
    "nik_bad_month",
    "nik_duplicate",
    "empty_name",
    "future_birth",
    "wrong_village",
    "nik_serial_zero",
)

#: The column each damage kind spoils.
DAMAGE_COLUMNS = {
    "nik_scientific": "nomor_nik",
    "nik_float": "nomor_nik",
    "nik_short": "nomor_nik",
    "kk_short": "nomor_kk",
    "nik_bad_day": "nomor_nik",
    "nik_bad_month": "nomor_nik",
    "nik_duplicate": "nomor_nik",
    "empty_name": "nama",
    "future_birth": "tanggal_lahir",
    "wrong_village": "kode_wilayah",
    "nik_serial_zero": "nomor_nik",
}

KEPALA = "KEPALA KELUARGA"
ISTRI, SUAMI, ANAK = "ISTRI", "SUAMI", "ANAK"
ORANG_TUA, CUCU, FAMILI_LAIN = "ORANG TUA", "CUCU", "FAMILI LAIN"


@dataclass(frozen=True)
class Village:
    code: str  # 10 digits, plain
    name: str
    kecamatan: str
    kabupaten: str
    provinsi: str

    @property
    def kecamatan_code(self) -> str:
        return self.code[:6]


@dataclass
class Damage:
    row: int  # 0-based index into rows
    kind: str
    column: str


# --- Names and places ---------------------------------------------------------------------

MALE_FIRST = (
    "Budi", "Agus", "Ahmad", "Muhammad", "Hendra", "Joko", "Wahyu", "Slamet", "Bambang",
    "Rudi", "Dedi", "Eko", "Andi", "Heri", "Iwan", "Yusuf", "Rizki", "Fajar", "Arif", "Irfan",
    "Hasan", "Ismail", "Zulkifli", "Syahrul", "Darmawan", "Sugeng", "Supriyadi", "Herman",
    "Rahmat", "Taufik", "Hadi", "Imam", "Anton", "Dani", "Yudi", "Sutrisno", "Suparman",
    "Marwan", "Firman", "Ilham", "Dimas", "Aditya", "Bayu", "Rafi", "Alif", "Fikri",
)  # fmt: skip
FEMALE_FIRST = (
    "Siti", "Nur", "Dewi", "Rina", "Sri", "Yanti", "Ani", "Wulan", "Fitri", "Indah", "Ratna",
    "Lina", "Sari", "Yuliana", "Nurhayati", "Rahmawati", "Endang", "Kartini", "Suryani",
    "Desi", "Eka", "Maya", "Novi", "Rini", "Tuti", "Wati", "Yulia", "Aisyah", "Fatimah",
    "Khadijah", "Zahra", "Nabila", "Putri", "Anisa", "Citra", "Mega", "Rosmawati", "Hartini",
    "Marlina", "Nurul", "Salsabila", "Dinda", "Ayu", "Lestari", "Mardiana", "Rosnani",
)  # fmt: skip
MALE_SECOND = (
    "Santoso", "Saputra", "Hidayat", "Kurniawan", "Pratama", "Setiawan", "Gunawan",
    "Wijaya", "Nugroho", "Firmansyah", "Ramadhan", "Syahputra", "Hermawan", "Prasetyo",
    "Suryadi", "Effendi", "Hakim", "Rahman", "Akbar", "Maulana",
)  # fmt: skip
FEMALE_SECOND = (
    "Lestari", "Wati", "Susanti", "Putri", "Rahayu", "Handayani", "Sari", "Wahyuni",
    "Purnamasari", "Anggraini", "Permatasari", "Safitri", "Oktaviani", "Ningsih", "Yusnita",
)  # fmt: skip
MARGA = ("Siregar", "Nasution", "Harahap", "Lubis", "Simanjuntak", "Hasibuan", "Tanjung")
ACCENTED_MALE = ("Andrés", "José", "René", "Noël", "Raúl")
ACCENTED_FEMALE = ("Zoë", "Inés", "Chloé", "Noémi", "Mónica")

TOWNS = (
    "Mukomuko", "Mukomuko", "Mukomuko", "Ipuh", "Ipuh", "Bengkulu", "Bengkulu", "Padang",
    "Solok", "Curup", "Painan", "Argamakmur", "Manna", "Pariaman", "Bukittinggi", "Jambi",
    "Sungai Penuh", "Palembang", "Medan", "Jakarta", "Lubuk Pinang", "Penarik", "Lais",
)  # fmt: skip
STREETS = (
    "Merdeka", "Sudirman", "Ahmad Yani", "Diponegoro", "Lintas Barat", "Pahlawan", "Melati",
    "Mawar", "Kenanga", "Veteran", "Pasar", "Pantai", "Masjid", "Sekolah", "Imam Bonjol",
    "Kartini", "Gajah Mada", "Hasanuddin", "Cendrawasih", "Kelapa Sawit",
)  # fmt: skip
DUSUN = ("Dusun I", "Dusun II", "Dusun III", "Dusun IV")

# Family size 1..7: mean about 3.2.
SIZE_WEIGHTS = (15, 20, 25, 20, 12, 5, 3)
# Desil 1..10: mostly 1..4.
DESIL_WEIGHTS = (25, 25, 20, 15, 6, 3, 2, 2, 1, 1)

_YEAR = 365.2425
_REF_ORD = REFERENCE_DATE.toordinal()


def _years_before(ordinal: int, years: int) -> int:
    d = date.fromordinal(ordinal)
    try:
        return d.replace(year=d.year - years).toordinal()
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28).toordinal()


# Birth ordinals that give an age (completed years at REFERENCE_DATE) within [lo, hi].
def _age_range(lo: int, hi: int) -> tuple[int, int]:
    return _years_before(_REF_ORD, hi + 1) + 1, _years_before(_REF_ORD, lo)


def _cumulative(weights: Sequence[int]) -> list[float]:
    total = sum(weights)
    acc, out = 0, []
    for w in weights:
        acc += w
        out.append(acc / total)
    return out


_SIZE_CUM = _cumulative(SIZE_WEIGHTS)
_DESIL_CUM = _cumulative(DESIL_WEIGHTS)


def _pick_weighted(cum: list[float], r: float) -> int:
    """Index by cumulative weights (0-based)."""
    for i, c in enumerate(cum):
        if r < c:
            return i
    return len(cum) - 1


# --- Generation -----------------------------------------------------------------------------


# Birth-ordinal windows (exact completed ages at REFERENCE_DATE).
_HEAD_LO, _HEAD_HI = _age_range(20, 80)
_HEAD_MODE = _HEAD_HI - 22 * _YEAR  # most heads are 30-55
_ADULT_LO, _ADULT_HI = _age_range(18, 90)
_OLD_LO, _ = _age_range(0, 95)
_OTHER_LO, _OTHER_HI = _age_range(5, 70)
_CHILD_MIN = _age_range(0, 35)[0]
_CUCU_MIN = _age_range(0, 20)[0]
_KK_MIN = date(2000, 1, 1).toordinal()
_Y17, _Y18, _Y35, _Y38, _Y45, _Y60 = (round(n * _YEAR) for n in (17, 18, 35, 38, 45, 60))


class _Generator:
    def __init__(
        self,
        villages: list[Village],
        seed: int,
        other_kecamatan_codes: list[str] | None,
        accents: bool,
    ) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.villages = villages
        self.accents = accents
        self.used_niks: set[str] = set()
        self.kk_serials: dict[str, int] = {}
        self.person_index = 0
        if other_kecamatan_codes is None:
            pool = {v.kecamatan_code for v in villages}
            for v in villages:  # a few neighbouring kecamatan of the same kabupaten
                pool.update(v.code[:4] + f"{k:02d}" for k in (1, 2, 3))
            other_kecamatan_codes = sorted(pool)
        for code in other_kecamatan_codes:
            if len(code) != 6 or not code.isdigit():
                raise ValueError(f"kecamatan code must be 6 digits: {code!r}")
        self.other_kec = list(other_kecamatan_codes)
        self.others_of: dict[str, list[str]] = {}

    # Small, fast helpers (random.choice and randint are several times slower).
    def pick(self, seq: Sequence[str]) -> str:
        return seq[int(self.random() * len(seq))]

    def between(self, lo: int, hi: int) -> int:
        """An int within lo..hi, both included."""
        return lo + int(self.random() * (hi - lo + 1))

    # Names ------------------------------------------------------------------------------
    def name(self, female: bool, *, allow_accent: bool = False) -> str:
        pick = self.pick
        if allow_accent:
            first = pick(ACCENTED_FEMALE if female else ACCENTED_MALE)
        else:
            first = pick(FEMALE_FIRST if female else MALE_FIRST)
        r = self.random()
        if r < 0.35:
            return first
        if r < 0.45:
            return f"{first} {pick(MARGA)}"
        if female:
            if r < 0.55 and first in ("Siti", "Nur", "Sri", "Dewi"):
                second = pick(FEMALE_FIRST)
            else:
                second = pick(FEMALE_SECOND)
        elif r < 0.55 and first in ("Muhammad", "Ahmad"):
            second = pick(MALE_FIRST)
        else:
            second = pick(MALE_SECOND)
        return first if second == first else f"{first} {second}"

    # Identifiers ------------------------------------------------------------------------
    def nik(self, own_kec: str, birth: date, female: bool) -> str:
        rand = self.random
        kec = own_kec
        if rand() < 0.10:
            others = self.others_of.get(own_kec)
            if others is None:
                others = self.others_of[own_kec] = [c for c in self.other_kec if c != own_kec]
            if others:
                kec = self.pick(others)
        day = birth.day + 40 if female else birth.day
        prefix = f"{kec}{day:02d}{birth.month:02d}{birth.year % 100:02d}"
        used = self.used_niks
        for attempt in range(200):
            r = rand()
            # Usually a small serial, as a kecamatan registers few people a day.
            small = attempt < 3 and r < 0.8
            serial = 1 + int(r / 0.8 * 99) if small else 1 + int(rand() * 9999)
            nik = f"{prefix}{serial:04d}"
            if nik not in used:
                used.add(nik)
                return nik
        for serial in range(1, 10000):  # pathological: nearly all serials taken
            nik = f"{prefix}{serial:04d}"
            if nik not in used:
                used.add(nik)
                return nik
        raise ValueError(f"no free NIK serial for {prefix}")

    def kk(self, kec: str, head_birth_ord: int) -> str:
        lo = min(max(head_birth_ord + _Y17, _KK_MIN), _REF_ORD - 1)
        issued = date.fromordinal(self.between(lo, _REF_ORD - 1))
        prefix = f"{kec}{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}"
        last = self.kk_serials.get(prefix, 0)
        serial = last + 1 + int(self.random() * 3)
        if serial > 9999:
            serial = last + 1
        if serial > 9999:
            raise ValueError(f"no free KK serial for {prefix}")
        self.kk_serials[prefix] = serial
        return f"{prefix}{serial:04d}"

    # Families ---------------------------------------------------------------------------
    def members(self) -> list[tuple[str, bool, int]]:
        """(relation, female, birth ordinal) for one family, head first."""
        rand, between = self.random, self.between
        size = 1 + _pick_weighted(_SIZE_CUM, rand())
        head_female = rand() < (0.35 if size == 1 else 0.12)
        head_birth = int(self.rng.triangular(_HEAD_LO, _HEAD_HI, _HEAD_MODE))
        out = [(KEPALA, head_female, head_birth)]
        mother_birth = head_birth if head_female else None
        youngest_parent = oldest_parent = head_birth
        if size >= 2 and rand() < (0.2 if head_female else 0.88):
            # A wife some years younger than her husband, a husband some years older.
            gap = int(self.rng.gauss(-3.5 if head_female else 3.5, 4) * _YEAR)
            spouse_birth = min(max(head_birth + gap, _ADULT_LO), _ADULT_HI)
            out.append((SUAMI if head_female else ISTRI, not head_female, spouse_birth))
            if not head_female:
                mother_birth = spouse_birth
            youngest_parent = max(head_birth, spouse_birth)
            oldest_parent = min(head_birth, spouse_birth)
        # Children: born once both parents were 17 (the mother at most 45), at most 35 now.
        child_lo = max(youngest_parent + _Y17, _CHILD_MIN)
        if mother_birth is not None:
            child_hi = min(mother_birth + _Y45, _REF_ORD - 1)
        else:
            child_hi = min(head_birth + _Y60, _REF_ORD - 1)
        head_age = (_REF_ORD - head_birth) / _YEAR
        while len(out) < size:
            r = rand()
            if child_lo <= child_hi and r < 0.82:
                rel, birth = ANAK, between(child_lo, child_hi)
            elif r < 0.90 and head_age < 62:
                # A parent of the head or spouse, 18-35 years older, at most 95.
                birth = max(_OLD_LO, oldest_parent - between(_Y18, _Y35))
                if birth > oldest_parent - _Y18:
                    rel, birth = FAMILI_LAIN, between(_OTHER_LO, _OTHER_HI)
                else:
                    rel = ORANG_TUA
            elif r < 0.96 and head_age >= 40:
                # A grandchild, born once the head was 38, at most 20 now.
                rel = CUCU
                birth = between(max(head_birth + _Y38, _CUCU_MIN), _REF_ORD - 1)
            else:
                rel, birth = FAMILI_LAIN, between(_OTHER_LO, _OTHER_HI)
            out.append((rel, rand() < 0.5, birth))
        return out

    def village_rows(self, village: Village, families: int) -> list[dict[str, str]]:
        rand, pick = self.random, self.pick
        rows: list[dict[str, str]] = []
        append = rows.append
        kec = village.kecamatan_code
        is_kelurahan = village.code[6] == "1"
        n_rw = self.between(2, 6)
        iddtks_serial = 0
        iddtks_prefix = f"DTKS-{village.code}-"
        base = {
            "provinsi": village.provinsi,
            "kabupaten_kota": village.kabupaten,
            "kecamatan": village.kecamatan,
            "desa_kelurahan": village.name,
            "kode_wilayah": village.code,
        }
        fromordinal = date.fromordinal
        for _ in range(families):
            members = self.members()
            rw_n = 1 + int(rand() * n_rw)
            rt_n = 1 + int(rand() * 15)
            no_dusun = is_kelurahan or rand() < 0.1  # a kelurahan has no dusun
            dusun = "" if no_dusun else DUSUN[min(3, (rw_n - 1) * 4 // n_rw)]
            if rand() < 0.85:
                alamat = f"Jl. {pick(STREETS)} No. {1 + int(rand() * 120)}"
            else:
                alamat = f"Gg. {pick(STREETS)}"
            family = {
                **base,
                "alamat": alamat,
                "dusun": dusun,
                "rt": f"{rt_n:03d}",
                "rw": f"{rw_n:03d}",
                "nomor_kk": self.kk(kec, members[0][2]),
            }
            flags = {
                "pkh": "YA" if rand() < 0.3 else "TIDAK",
                "bpnt": "YA" if rand() < 0.45 else "TIDAK",
                "pbi": "YA" if rand() < 0.8 else "TIDAK",
                "desil": "" if rand() < 0.05 else str(1 + _pick_weighted(_DESIL_CUM, rand())),
            }
            for rel, female, birth_ord in members:
                birth = fromordinal(birth_ord)
                if rand() < 0.05:
                    iddtks = ""
                else:
                    iddtks_serial += 1
                    iddtks = f"{iddtks_prefix}{iddtks_serial:06d}"
                accent = self.accents and self.person_index % 37 == 0
                self.person_index += 1
                append(
                    {
                        "iddtks": iddtks,
                        **family,
                        "nomor_nik": self.nik(kec, birth, female),
                        "nama": self.name(female, allow_accent=accent),
                        "tanggal_lahir": birth.isoformat(),
                        "tempat_lahir": pick(TOWNS),
                        "jenis_kelamin": "P" if female else "L",
                        "nama_ibu_kandung": self.name(True),
                        "hubungan_keluarga": rel,
                        **flags,
                    }
                )
        return rows


def generate(
    villages: list[Village],
    *,
    families_per_village: int = 50,
    seed: int = 0,
    damage: dict[str, int] | None = None,
    other_kecamatan_codes: list[str] | None = None,
    accents: bool = False,
) -> tuple[list[dict[str, str]], list[Damage]]:
    """Rows (dicts keyed by COLUMNS, all strings) for `families_per_village` families in each
    village, and the damages applied (sorted by row).

    `other_kecamatan_codes`: where ~10% of NIKs were first registered (default: the villages'
    kecamatan and a few neighbours in their kabupaten). `accents`: every 37th person gets a name
    such as "Andrés" or "Zoë" (all in cp1252), so the file's encoding matters.
    """
    villages = list(villages)
    for v in villages:
        if len(v.code) != 10 or not v.code.isdigit():
            raise ValueError(f"village code must be 10 plain digits: {v.code!r}")
    if families_per_village < 0:
        raise ValueError("families_per_village must be >= 0")
    gen = _Generator(villages, seed, other_kecamatan_codes, accents)
    rows: list[dict[str, str]] = []
    # Hundreds of thousands of new dicts set off the cyclic collector again and again, for
    # nothing (they hold only strings): it costs a third of the time, so pause it.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for village in villages:
            rows.extend(gen.village_rows(village, families_per_village))
    finally:
        if gc_was_enabled:
            gc.enable()
    damages = _apply_damage(rows, damage or {}, seed, {v.code for v in villages})
    return rows, damages


# --- Damage ---------------------------------------------------------------------------------

_BAD_DAYS = ("00", *(str(d) for d in range(32, 41)), *(str(d) for d in range(72, 100)))


def _apply_damage(
    rows: list[dict[str, str]], damage: dict[str, int], seed: int, village_codes: set[str]
) -> list[Damage]:
    for kind, count in damage.items():
        if kind not in DAMAGE_KINDS:
            raise ValueError(f"unknown damage kind {kind!r}; known: {', '.join(DAMAGE_KINDS)}")
        if count < 0:
            raise ValueError(f"damage count for {kind} must be >= 0")
    total = sum(damage.values())
    if total == 0:
        return []
    # Row 0 is never damaged, so a duplicate always has a clean earlier NIK to copy.
    if total > len(rows) - 1:
        raise ValueError(f"{total} damaged rows asked, but only {len(rows) - 1} can be damaged")
    rng = random.Random(f"synthetic-damage-{seed}")
    kinds = [kind for kind in DAMAGE_KINDS for _ in range(damage.get(kind, 0))]
    positions = rng.sample(range(1, len(rows)), total)  # spread over the file
    plan = sorted(zip(positions, kinds, strict=True))
    damaged = set(positions)
    copied: set[int] = set()
    result: list[Damage] = []
    for index, kind in plan:
        row = rows[index]
        nik = row["nomor_nik"]
        if kind == "nik_scientific":
            row["nomor_nik"] = f"{int(nik):.5E}"
        elif kind == "nik_float":
            row["nomor_nik"] = f"{nik}.0"
        elif kind == "nik_short":
            cut = rng.randrange(16)
            row["nomor_nik"] = nik[:cut] + nik[cut + 1 :]
        elif kind == "kk_short":
            kk = row["nomor_kk"]
            cut = rng.randrange(16)
            row["nomor_kk"] = kk[:cut] + kk[cut + 1 :]
        elif kind == "nik_bad_day":
            row["nomor_nik"] = nik[:6] + rng.choice(_BAD_DAYS) + nik[8:]
        elif kind == "nik_bad_month":
            row["nomor_nik"] = nik[:8] + rng.choice(("00", "13")) + nik[10:]
        elif kind == "nik_duplicate":
            # Copy the NIK of a clean earlier row that no other duplicate copies.
            for _ in range(50):
                source = rng.randrange(index)
                if source not in damaged and source not in copied:
                    break
            else:
                source = next((i for i in range(index) if i not in damaged and i not in copied), 0)
            copied.add(source)
            row["nomor_nik"] = rows[source]["nomor_nik"]
        elif kind == "empty_name":
            row["nama"] = ""
        elif kind == "future_birth":
            row["tanggal_lahir"] = date.fromordinal(_REF_ORD + rng.randint(1, 3650)).isoformat()
        elif kind == "wrong_village":
            code = row["kode_wilayah"]
            while True:
                candidate = code[:7] + f"{rng.randint(900, 999):03d}"
                if candidate not in village_codes:
                    break
            row["kode_wilayah"] = candidate
        elif kind == "nik_serial_zero":
            row["nomor_nik"] = nik[:12] + "0000"
        result.append(Damage(row=index, kind=kind, column=DAMAGE_COLUMNS[kind]))
    return result


def zero_last_digit(rows: list[dict[str, str]], fraction: float = 1.0, seed: int = 0) -> list[int]:
    """Set the last digit of nomor_nik to "0" in a fraction of the rows, as a spreadsheet that
    kept a whole column as numbers (15 significant digits) does. Returns the chosen row
    indexes, sorted (a NIK that already ended in 0 is chosen but unchanged)."""
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be within 0..1")
    candidates = [i for i, row in enumerate(rows) if row.get("nomor_nik")]
    count = round(len(candidates) * fraction)
    if count >= len(candidates):
        chosen = candidates
    else:
        chosen = sorted(random.Random(f"zero-last-{seed}").sample(candidates, count))
    for i in chosen:
        nik = rows[i]["nomor_nik"]
        rows[i]["nomor_nik"] = nik[:-1] + "0"
    return chosen


# --- Writing --------------------------------------------------------------------------------


def _as_spreadsheet_number(value: str, exact: bool) -> int | float | str | None:
    """What a spreadsheet that converted the text to a number would store."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    digits = value.removesuffix(".0")
    if digits.isdigit():
        if exact:
            return int(digits)
        # Excel keeps 15 significant digits and turns the ones after them to 0.
        digits = digits.lstrip("0") or "0"
        return float(digits[:15] + "0" * (len(digits) - 15) if len(digits) > 15 else digits)
    return float(f"{number:.15g}")


def write(
    rows: Iterable[dict[str, str]],
    path: str | Path,
    fmt: str,
    *,
    encoding: str = "utf-8",
    numeric_ids: bool | str = False,
    columns: Sequence[str] = COLUMNS,
    sheet_title: str = "Data",
    engine: str = "fast",
) -> Path:
    """Write rows as `fmt`: "csv" (comma), "csv-semicolon", "pipe" (| delimited text) or
    "xlsx" (one sheet; values as text cells, empty values as no cell). Returns the path.

    `encoding` applies to the text formats ("utf-8", "utf-8-sig", "cp1252", ...).
    `numeric_ids` (xlsx only): nomor_nik and nomor_kk become numeric cells. True stores them
    as a spreadsheet does after converting the column: a double of 15 significant digits, so
    the 16th digit of an id becomes 0 (1706052006850123 → 1706052006850120) and "3.20123E+15"
    becomes 3201230000000000; "exact" stores all-digit values as exact integers.
    `engine` (xlsx only): "fast" streams the sheet XML itself with shared strings, as Excel
    saves (150,000 persons in a few seconds); "openpyxl" uses openpyxl's write-only mode
    (inline strings; about ten times slower).
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if numeric_ids not in (False, True, "exact"):
        raise ValueError("numeric_ids must be False, True or 'exact'")
    columns = tuple(columns)
    if fmt == "xlsx":
        numeric = (
            {i for i, c in enumerate(columns) if c in ("nomor_nik", "nomor_kk")}
            if numeric_ids
            else set()
        )
        exact = numeric_ids == "exact"
        if engine == "fast":
            _write_xlsx_fast(rows, path, columns, numeric, exact, sheet_title)
        elif engine == "openpyxl":
            _write_xlsx_openpyxl(rows, path, columns, numeric, exact, sheet_title)
        else:
            raise ValueError("engine must be 'fast' or 'openpyxl'")
        return path
    if numeric_ids:
        raise ValueError("numeric_ids applies to xlsx only")
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=DELIMITERS[fmt], lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return path


def _write_xlsx_openpyxl(
    rows: Iterable[dict[str, str]],
    path: Path,
    columns: tuple[str, ...],
    numeric: set[int],
    exact: bool,
    sheet_title: str,
) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title)
    ws.append(list(columns))
    for row in rows:
        values: list[Any] = [row.get(c, "") or None for c in columns]
        for i in numeric:
            if values[i] is not None:
                values[i] = _as_spreadsheet_number(values[i], exact)
        ws.append(values)
    wb.save(path)


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# XML 1.0 forbids most control characters; & < > must be escaped in text.
_XML_TEXT = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        **{chr(c): None for c in range(32) if chr(c) not in "\t\n\r"},
    }
)


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _spreadsheet_number_text(value: str, exact: bool) -> str | None:
    number = _as_spreadsheet_number(value, exact)
    if number is None or isinstance(number, str):
        return None
    if isinstance(number, int):
        return str(number)
    return f"{number:.15G}"  # as Excel writes a double: 3.20123456789012E+15


def _write_xlsx_fast(
    rows: Iterable[dict[str, str]],
    path: Path,
    columns: tuple[str, ...],
    numeric: set[int],
    exact: bool,
    sheet_title: str,
) -> None:
    """A minimal, valid SpreadsheetML package streamed with zipfile: one worksheet whose
    text cells point into a shared-string table, as Excel itself saves."""
    rows = rows if isinstance(rows, list) else list(rows)
    letters = [_column_letter(i) for i in range(len(columns))]
    strings: dict[str, int] = {}
    count = 0

    def string_index(value: str) -> int:
        index = strings.get(value)
        if index is None:
            index = strings[value] = len(strings)
        return index

    last = f"{letters[-1]}{len(rows) + 1}" if letters else "A1"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=5) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(
                (
                    f'{_XML_DECL}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                    f'<dimension ref="A1:{last}"/><sheetData>'
                ).encode()
            )
            header = "".join(
                f'<c r="{letter}1" t="s"><v>{string_index(c)}</v></c>'
                for letter, c in zip(letters, columns, strict=True)
            )
            count += len(columns)
            chunk = [f'<row r="1">{header}</row>']
            specs = [(letters[i], c, i in numeric) for i, c in enumerate(columns)]
            for r, row in enumerate(rows, start=2):
                cells = []
                for letter, column, as_number in specs:
                    value = row.get(column, "")
                    if not value:
                        continue  # an empty value is no cell
                    if as_number:
                        text = _spreadsheet_number_text(value, exact)
                        if text is not None:
                            cells.append(f'<c r="{letter}{r}"><v>{text}</v></c>')
                            continue
                    index = strings.get(value)
                    if index is None:
                        index = strings[value] = len(strings)
                    cells.append(f'<c r="{letter}{r}" t="s"><v>{index}</v></c>')
                    count += 1
                chunk.append(f'<row r="{r}">{"".join(cells)}</row>')
                if len(chunk) >= 2000:
                    fh.write("".join(chunk).encode())
                    chunk = []
            chunk.append("</sheetData></worksheet>")
            fh.write("".join(chunk).encode())
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(
                f'{_XML_DECL}<sst xmlns="{_MAIN_NS}" count="{count}" '
                f'uniqueCount="{len(strings)}">'.encode()
            )
            parts = []
            for value in strings:  # insertion order is index order
                text = value.translate(_XML_TEXT)
                if text != text.strip():
                    parts.append(f'<si><t xml:space="preserve">{text}</t></si>')
                else:
                    parts.append(f"<si><t>{text}</t></si>")
                if len(parts) >= 5000:
                    fh.write("".join(parts).encode())
                    parts = []
            parts.append("</sst>")
            fh.write("".join(parts).encode())
        title = sheet_title.translate(_XML_TEXT).replace('"', "&quot;")
        zf.writestr(
            "[Content_Types].xml",
            f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'{_XML_DECL}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
            f'<sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL_NS}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        zf.writestr(
            "xl/styles.xml",
            f'{_XML_DECL}<styleSheet xmlns="{_MAIN_NS}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" '
            'fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
            '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
        )


# --- Villages -------------------------------------------------------------------------------


def _plain(code: Any) -> str:
    return str(code).replace(".", "").strip()


def villages_from_regions(regions: Iterable[Any]) -> list[Village]:
    """Villages from region objects (`.code`, `.name` and a `.parent` chain, or `ancestors()`
    giving province, kabupaten, kecamatan), from `Village`s, or from plain tuples
    `(code, name, kecamatan, kabupaten, provinsi)`. Regions above the village level are
    skipped; dotted codes are accepted."""
    out: list[Village] = []
    for region in regions:
        if isinstance(region, Village):
            out.append(region)
            continue
        if isinstance(region, tuple | list):
            code, name, kecamatan, kabupaten, provinsi = region
            out.append(Village(_plain(code), str(name), str(kecamatan), str(kabupaten), provinsi))
            continue
        code = _plain(region.code)
        if len(code) != 10:
            continue
        if hasattr(region, "ancestors"):
            chain = list(region.ancestors())
        else:
            chain = []
            node = getattr(region, "parent", None)
            while node is not None:
                chain.append(node)
                node = getattr(node, "parent", None)
            chain.reverse()
        if len(chain) != 3:
            raise ValueError(f"village {code} needs province, kabupaten and kecamatan parents")
        provinsi, kabupaten, kecamatan = (r.name for r in chain)
        out.append(Village(code, region.name, kecamatan, kabupaten, provinsi))
    return out


KECAMATAN_NAMES = (
    "Kota Mukomuko", "Ipuh", "Lubuk Pinang", "Teras Terunjam", "Pondok Suguh", "Selagan Raya",
    "Penarik", "Teramang Jaya", "Sungai Rumbai", "XIV Koto", "V Koto", "Air Manjuto",
    "Air Rami", "Malin Deman", "Air Dikit",
)  # fmt: skip
_VILLAGE_PREFIX = ("Air", "Pasar", "Pulau", "Sungai", "Tanjung", "Lubuk", "Bandar", "Talang")
_VILLAGE_SUFFIX = (
    "Buluh", "Baru", "Jaya", "Makmur", "Indah", "Mulya", "Sakti", "Harapan", "Rejo", "Ratu",
    "Gedang", "Pinang", "Bungur", "Kasai",
)  # fmt: skip


def synthetic_villages(count: int, *, kecamatan: int = 15, seed: int = 0) -> list[Village]:
    """`count` made-up villages of Kabupaten Mukomuko (code 17.06), spread over up to
    `kecamatan` kecamatan (at most 15): for benchmarks and tests needing many villages."""
    if not 1 <= kecamatan <= len(KECAMATAN_NAMES):
        raise ValueError(f"kecamatan must be within 1..{len(KECAMATAN_NAMES)}")
    rng = random.Random(f"villages-{seed}")
    out: list[Village] = []
    for i in range(count):
        k = i % kecamatan
        number = i // kecamatan
        kind = "1" if number == 0 and k == 0 else "2"  # one kelurahan, the rest desa
        code = f"1706{k + 1:02d}{kind}{number + 1:03d}"
        name = f"{rng.choice(_VILLAGE_PREFIX)} {rng.choice(_VILLAGE_SUFFIX)}"
        out.append(Village(code, name, KECAMATAN_NAMES[k], "Kabupaten Mukomuko", "Bengkulu"))
    return out
