"""Synthetic families, one row per person: the generator and `generate`.

A family is a head with, most often, a spouse, then children, now and then a parent, grandchild
or other relative; ages fit one another (children born once both parents were 17, the mother at
most 45). NIKs encode the birth date (day + 40 for women) and are unique across one call; a
tenth were first registered in another kecamatan. KK numbers encode an issue date after the
head turned 17. The address, RT/RW, dusun and the aid flags are the family's.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Sequence
from datetime import date

from portal.demo.synthetic.damage import Damage, apply_damage
from portal.demo.synthetic.dates import REFERENCE_ORDINAL, YEAR, age_range
from portal.demo.synthetic.names import (
    ACCENTED_FEMALE,
    ACCENTED_MALE,
    DUSUN,
    FEMALE_FIRST,
    FEMALE_SECOND,
    MALE_FIRST,
    MALE_SECOND,
    MARGA,
    STREETS,
    TOWNS,
)
from portal.demo.synthetic.villages import Village

KEPALA = "KEPALA KELUARGA"
ISTRI, SUAMI, ANAK = "ISTRI", "SUAMI", "ANAK"
ORANG_TUA, CUCU, FAMILI_LAIN = "ORANG TUA", "CUCU", "FAMILI LAIN"

# Family size 1..7: mean about 3.2.
SIZE_WEIGHTS = (15, 20, 25, 20, 12, 5, 3)
# Desil 1..10: mostly 1..4.
DESIL_WEIGHTS = (25, 25, 20, 15, 6, 3, 2, 2, 1, 1)


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
_HEAD_LO, _HEAD_HI = age_range(20, 80)
_HEAD_MODE = _HEAD_HI - 22 * YEAR  # most heads are 30-55
_ADULT_LO, _ADULT_HI = age_range(18, 90)
_OLD_LO, _ = age_range(0, 95)
_OTHER_LO, _OTHER_HI = age_range(5, 70)
_CHILD_MIN = age_range(0, 35)[0]
_CUCU_MIN = age_range(0, 20)[0]
_KK_MIN = date(2000, 1, 1).toordinal()
_Y17, _Y18, _Y35, _Y38, _Y45, _Y60 = (round(n * YEAR) for n in (17, 18, 35, 38, 45, 60))


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
        lo = min(max(head_birth_ord + _Y17, _KK_MIN), REFERENCE_ORDINAL - 1)
        issued = date.fromordinal(self.between(lo, REFERENCE_ORDINAL - 1))
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
            gap = int(self.rng.gauss(-3.5 if head_female else 3.5, 4) * YEAR)
            spouse_birth = min(max(head_birth + gap, _ADULT_LO), _ADULT_HI)
            out.append((SUAMI if head_female else ISTRI, not head_female, spouse_birth))
            if not head_female:
                mother_birth = spouse_birth
            youngest_parent = max(head_birth, spouse_birth)
            oldest_parent = min(head_birth, spouse_birth)
        # Children: born once both parents were 17 (the mother at most 45), at most 35 now.
        child_lo = max(youngest_parent + _Y17, _CHILD_MIN)
        if mother_birth is not None:
            child_hi = min(mother_birth + _Y45, REFERENCE_ORDINAL - 1)
        else:
            child_hi = min(head_birth + _Y60, REFERENCE_ORDINAL - 1)
        head_age = (REFERENCE_ORDINAL - head_birth) / YEAR
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
                birth = between(max(head_birth + _Y38, _CUCU_MIN), REFERENCE_ORDINAL - 1)
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
    damages = apply_damage(rows, damage or {}, seed, {v.code for v in villages})
    return rows, damages
