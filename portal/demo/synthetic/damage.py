"""Damage: rows spoiled on purpose, as real exports are, for the importer's tests.

`apply_damage` spoils a given number of rows, one way per row (`DAMAGE_KINDS`: a NIK in
scientific notation or cut short, an impossible birth date in the NIK, a duplicate NIK, an empty
name, a birth in the future, a row of another village, ...), with its own random stream, and
says which row, how and in which column. `zero_last_digit` does what a spreadsheet that kept the
NIK column as numbers does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from portal.demo.synthetic.dates import REFERENCE_ORDINAL

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


@dataclass
class Damage:
    row: int  # 0-based index into rows
    kind: str
    column: str


_BAD_DAYS = ("00", *(str(d) for d in range(32, 41)), *(str(d) for d in range(72, 100)))


def apply_damage(
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
            row["tanggal_lahir"] = date.fromordinal(
                REFERENCE_ORDINAL + rng.randint(1, 3650)
            ).isoformat()
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
