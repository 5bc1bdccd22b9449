"""The synthetic register export generator: structure, determinism, damage and file formats.

Plain tests: no app, no database.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest

from portal.blueprints.regions.models import Region
from portal.demo.synthetic import (
    COLUMNS,
    DAMAGE_COLUMNS,
    DAMAGE_KINDS,
    REFERENCE_DATE,
    Damage,
    Village,
    generate,
    synthetic_villages,
    villages_from_regions,
    write,
    zero_last_digit,
)

PASAR_IPUH = Village("1706052006", "Pasar Ipuh", "Ipuh", "Kabupaten Mukomuko", "Bengkulu")
AIR_BULUH = Village("1706052004", "Air Buluh", "Ipuh", "Kabupaten Mukomuko", "Bengkulu")
PASAR_MUKOMUKO = Village(
    "1706021009", "Pasar Mukomuko", "Kota Mukomuko", "Kabupaten Mukomuko", "Bengkulu"
)
TANAH_GARAM = Village("1372011001", "Tanah Garam", "Lubuk Sikarah", "Kota Solok", "Sumatera Barat")
VILLAGES = [PASAR_IPUH, AIR_BULUH, PASAR_MUKOMUKO, TANAH_GARAM]
CODES = {v.code for v in VILLAGES}

FAMILY_COLUMNS = (
    "provinsi",
    "kabupaten_kota",
    "kecamatan",
    "desa_kelurahan",
    "kode_wilayah",
    "alamat",
    "dusun",
    "rt",
    "rw",
    "nomor_kk",
    "pkh",
    "bpnt",
    "pbi",
    "desil",
)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    generated, damages = generate(VILLAGES, families_per_village=300, seed=7)
    assert damages == []
    return generated


def families(rows: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    """Consecutive runs of the same nomor_kk."""
    out: list[list[dict[str, str]]] = []
    for row in rows:
        if out and out[-1][0]["nomor_kk"] == row["nomor_kk"]:
            out[-1].append(row)
        else:
            out.append([row])
    return out


def birth_of(row: dict[str, str]) -> date:
    return date.fromisoformat(row["tanggal_lahir"])


def age(born: date) -> int:
    ref = REFERENCE_DATE
    return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))


def nik_date_part(born: date, female: bool) -> str:
    return f"{born.day + 40 * female:02d}{born.month:02d}{born.year % 100:02d}"


# --- Shape and determinism ------------------------------------------------------------------


def test_rows_have_the_columns_in_order_and_only_strings(rows: list[dict[str, str]]) -> None:
    assert len(COLUMNS) == 22
    assert COLUMNS[0] == "iddtks" and COLUMNS[-1] == "desil"
    for row in rows:
        assert tuple(row) == COLUMNS
        assert all(isinstance(value, str) for value in row.values())


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    first, _ = generate(VILLAGES[:2], families_per_village=40, seed=3)
    again, _ = generate(VILLAGES[:2], families_per_village=40, seed=3)
    other, _ = generate(VILLAGES[:2], families_per_village=40, seed=4)
    assert first == again
    assert first != other


def test_families_per_village(rows: list[dict[str, str]]) -> None:
    fams = families(rows)
    assert len(fams) == 300 * len(VILLAGES)
    per_village = Counter(fam[0]["kode_wilayah"] for fam in fams)
    assert per_village == {code: 300 for code in CODES}
    sizes = [len(fam) for fam in fams]
    assert min(sizes) == 1 and max(sizes) <= 7
    assert 2.6 <= sum(sizes) / len(sizes) <= 3.8


def test_no_family_at_all() -> None:
    assert generate(VILLAGES, families_per_village=0) == ([], [])


def test_a_bad_village_code_is_refused() -> None:
    with pytest.raises(ValueError):
        generate([Village("17.06.05.2006", "Pasar Ipuh", "Ipuh", "Mukomuko", "Bengkulu")])


# --- NIK, KK and family structure -----------------------------------------------------------


def test_nik_structure(rows: list[dict[str, str]]) -> None:
    for row in rows:
        nik = row["nomor_nik"]
        assert len(nik) == 16 and nik.isdigit(), nik
        day, month = int(nik[6:8]), int(nik[8:10])
        female = row["jenis_kelamin"] == "P"
        assert row["jenis_kelamin"] in ("L", "P")
        assert (41 <= day <= 71) if female else (1 <= day <= 31), nik
        assert 1 <= month <= 12
        assert nik[6:12] == nik_date_part(birth_of(row), female)
        assert nik[12:] != "0000"


def test_niks_are_unique(rows: list[dict[str, str]]) -> None:
    niks = [row["nomor_nik"] for row in rows]
    assert len(set(niks)) == len(niks)


def test_nik_serials_end_in_zero_at_the_natural_rate(rows: list[dict[str, str]]) -> None:
    share = sum(row["nomor_nik"].endswith("0") for row in rows) / len(rows)
    assert 0.06 <= share <= 0.14


def test_nik_region_is_mostly_the_village_kecamatan(rows: list[dict[str, str]]) -> None:
    own = sum(row["nomor_nik"][:6] == row["kode_wilayah"][:6] for row in rows) / len(rows)
    assert 0.84 <= own <= 0.95
    kabupaten = {code[:4] for code in CODES}
    assert all(row["nomor_nik"][:4] in kabupaten for row in rows)


def test_other_kecamatan_codes_are_the_given_ones() -> None:
    given = ["170601", "170603"]
    generated, _ = generate(
        [PASAR_IPUH], families_per_village=200, seed=1, other_kecamatan_codes=given
    )
    prefixes = Counter(row["nomor_nik"][:6] for row in generated)
    assert set(prefixes) == {"170605", *given}


def test_kk_structure(rows: list[dict[str, str]]) -> None:
    fams = families(rows)
    kks = [fam[0]["nomor_kk"] for fam in fams]
    assert len(set(kks)) == len(kks)  # one run per KK: the family's rows are consecutive
    for kk in kks:
        assert len(kk) == 16 and kk.isdigit()
        issued = date(2000 + int(kk[10:12]), int(kk[8:10]), int(kk[6:8]))
        assert date(2000, 1, 1) <= issued <= REFERENCE_DATE
        assert int(kk[12:]) >= 1
    for fam in fams:
        assert fam[0]["nomor_kk"][:6] == fam[0]["kode_wilayah"][:6]


def test_one_head_per_family_first_and_shared_family_values(
    rows: list[dict[str, str]],
) -> None:
    relations = Counter(row["hubungan_keluarga"] for row in rows)
    assert set(relations) <= {
        "KEPALA KELUARGA",
        "ISTRI",
        "SUAMI",
        "ANAK",
        "ORANG TUA",
        "CUCU",
        "FAMILI LAIN",
    }
    assert relations["ANAK"] > relations["ISTRI"] > relations["SUAMI"] > 0
    assert relations["ORANG TUA"] and relations["CUCU"] and relations["FAMILI LAIN"]
    for fam in families(rows):
        assert fam[0]["hubungan_keluarga"] == "KEPALA KELUARGA"
        assert [r["hubungan_keluarga"] for r in fam].count("KEPALA KELUARGA") == 1
        assert sum(r["hubungan_keluarga"] in ("ISTRI", "SUAMI") for r in fam) <= 1
        for column in FAMILY_COLUMNS:
            assert len({r[column] for r in fam}) == 1, column


def test_ages_are_plausible(rows: list[dict[str, str]]) -> None:
    for fam in families(rows):
        head = fam[0]
        head_born = birth_of(head)
        assert 20 <= age(head_born) <= 80
        spouses = [r for r in fam if r["hubungan_keluarga"] in ("ISTRI", "SUAMI")]
        parents = [head_born] + [birth_of(r) for r in spouses]
        for spouse in spouses:
            assert 18 <= age(birth_of(spouse)) <= 90
            assert spouse["jenis_kelamin"] != head["jenis_kelamin"]
            if spouse["hubungan_keluarga"] == "ISTRI":
                assert spouse["jenis_kelamin"] == "P"
        for row in fam:
            born = birth_of(row)
            assert born < REFERENCE_DATE
            if row["hubungan_keluarga"] in ("ANAK", "CUCU"):
                assert all(age(parent) - age(born) >= 16 for parent in parents), fam
            if row["hubungan_keluarga"] == "ORANG TUA":
                assert all(born < parent for parent in parents)


def test_other_columns(rows: list[dict[str, str]]) -> None:
    by_code = {v.code: v for v in VILLAGES}
    iddtks_blank = 0
    for row in rows:
        village = by_code[row["kode_wilayah"]]
        assert (row["provinsi"], row["kabupaten_kota"], row["kecamatan"]) == (
            village.provinsi,
            village.kabupaten,
            village.kecamatan,
        )
        assert row["desa_kelurahan"] == village.name
        if row["iddtks"]:
            assert re.fullmatch(rf"DTKS-{village.code}-\d{{6}}", row["iddtks"])
        else:
            iddtks_blank += 1
        assert re.fullmatch(r"0(0[1-9]|1[0-5])", row["rt"])
        assert re.fullmatch(r"00\d", row["rw"]) and row["rw"] != "000"
        assert row["dusun"] in ("", "Dusun I", "Dusun II", "Dusun III", "Dusun IV")
        if village.code[6] == "1":  # a kelurahan has no dusun
            assert row["dusun"] == ""
        assert re.fullmatch(r"(Jl\. .+ No\. \d+|Gg\. .+)", row["alamat"])
        assert row["nama"] and row["nama_ibu_kandung"] and row["tempat_lahir"]
        assert 1 <= len(row["nama"].split()) <= 2
        for flag in ("pkh", "bpnt", "pbi"):
            assert row[flag] in ("YA", "TIDAK")
        assert row["desil"] in ("", *map(str, range(1, 11)))
    assert 0.02 <= iddtks_blank / len(rows) <= 0.08
    heads = [fam[0] for fam in families(rows)]
    assert sum(h["pbi"] == "YA" for h in heads) / len(heads) > 0.6
    desil = Counter(h["desil"] for h in heads)
    assert sum(desil[str(d)] for d in range(1, 5)) / len(heads) > 0.7
    names = Counter(len(row["nama"].split()) for row in rows)
    assert names[1] > 0.2 * len(rows) and names[2] > 0.4 * len(rows)


def test_synthetic_villages() -> None:
    villages = synthetic_villages(50)
    assert len(villages) == 50
    assert len({v.code for v in villages}) == 50
    assert all(len(v.code) == 10 and v.code.isdigit() for v in villages)
    assert synthetic_villages(50) == villages


def test_150_000_persons(tmp_path: Path) -> None:
    generated, _ = generate(synthetic_villages(50), families_per_village=940, seed=11)
    assert 135_000 <= len(generated) <= 170_000
    assert len({row["nomor_nik"] for row in generated}) == len(generated)
    assert len({row["nomor_kk"] for row in generated}) == 50 * 940


# --- Damage ---------------------------------------------------------------------------------

BAD_DAYS = {0, *range(32, 41), *range(72, 100)}


def check_damage(kind: str, clean: dict[str, str], bad: dict[str, str], before: list) -> None:
    """That `bad` is `clean` spoiled as `kind` says."""
    column = DAMAGE_COLUMNS[kind]
    changed = [c for c in COLUMNS if clean[c] != bad[c]]
    assert changed == [column], (kind, changed)
    old, new = clean[column], bad[column]
    if kind == "nik_scientific":
        assert re.fullmatch(r"\d\.\d{5}E\+15", new)
        assert abs(float(new) - int(old)) < 1e11
    elif kind == "nik_float":
        assert new == old + ".0"
    elif kind in ("nik_short", "kk_short"):
        assert len(new) == 15 and new.isdigit()
        assert any(old[:i] + old[i + 1 :] == new for i in range(16))
    elif kind == "nik_bad_day":
        assert int(new[6:8]) in BAD_DAYS
        assert new[:6] + new[8:] == old[:6] + old[8:]
    elif kind == "nik_bad_month":
        assert new[8:10] in ("00", "13")
        assert new[:8] + new[10:] == old[:8] + old[10:]
    elif kind == "nik_duplicate":
        assert new in before
    elif kind == "empty_name":
        assert new == ""
    elif kind == "future_birth":
        assert date.fromisoformat(new) > REFERENCE_DATE
    elif kind == "wrong_village":
        assert len(new) == 10 and new.isdigit() and new not in CODES
        assert new[:7] == old[:7]
    elif kind == "nik_serial_zero":
        assert new == old[:12] + "0000"
    else:  # pragma: no cover
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
def test_each_damage_kind(kind: str) -> None:
    clean, _ = generate(VILLAGES, families_per_village=30, seed=5)
    damaged, damages = generate(VILLAGES, families_per_village=30, seed=5, damage={kind: 6})
    assert len(damaged) == len(clean)
    assert len(damages) == 6
    assert all(isinstance(d, Damage) and d.kind == kind for d in damages)
    assert all(d.column == DAMAGE_COLUMNS[kind] for d in damages)
    spoilt = {d.row for d in damages}
    assert len(spoilt) == 6
    for index, (before, after) in enumerate(zip(clean, damaged, strict=True)):
        if index in spoilt:
            earlier = [r["nomor_nik"] for r in damaged[:index]]
            check_damage(kind, before, after, earlier)
        else:
            assert before == after


def test_all_damage_kinds_at_once_one_per_row() -> None:
    asked = {kind: 1 + i % 4 for i, kind in enumerate(DAMAGE_KINDS)}
    clean, _ = generate(VILLAGES, families_per_village=40, seed=9)
    damaged, damages = generate(VILLAGES, families_per_village=40, seed=9, damage=asked)
    assert Counter(d.kind for d in damages) == asked
    assert [d.row for d in damages] == sorted({d.row for d in damages})  # sorted, distinct
    spread = [d.row for d in damages]
    assert spread[-1] - spread[0] > len(clean) / 2  # spread over the file
    for d in damages:
        earlier = [r["nomor_nik"] for r in damaged[: d.row]]
        check_damage(d.kind, clean[d.row], damaged[d.row], earlier)
    # A duplicate copies a clean NIK: exactly two rows share it.
    niks = Counter(row["nomor_nik"] for row in damaged)
    for d in damages:
        if d.kind == "nik_duplicate":
            assert niks[damaged[d.row]["nomor_nik"]] == 2
    again, same = generate(VILLAGES, families_per_village=40, seed=9, damage=asked)
    assert (again, same) == (damaged, damages)


def test_damage_errors() -> None:
    with pytest.raises(ValueError, match="unknown damage"):
        generate([PASAR_IPUH], families_per_village=5, damage={"nik_purple": 1})
    with pytest.raises(ValueError):
        generate([PASAR_IPUH], families_per_village=2, damage={"empty_name": 100})
    with pytest.raises(ValueError):
        generate([PASAR_IPUH], families_per_village=2, damage={"empty_name": -1})
    assert generate([PASAR_IPUH], families_per_village=2, damage={"empty_name": 0})[1] == []


def test_zero_last_digit() -> None:
    clean, _ = generate(VILLAGES[:2], families_per_village=50, seed=2)
    every = [dict(r) for r in clean]
    assert zero_last_digit(every) == list(range(len(every)))
    assert all(r["nomor_nik"].endswith("0") for r in every)
    assert all(
        a["nomor_nik"][:15] == b["nomor_nik"][:15] for a, b in zip(clean, every, strict=True)
    )

    half = [dict(r) for r in clean]
    chosen = zero_last_digit(half, fraction=0.5, seed=3)
    assert chosen == sorted(chosen) and len(chosen) == round(len(clean) * 0.5)
    assert chosen == zero_last_digit([dict(r) for r in clean], fraction=0.5, seed=3)
    for index, (before, after) in enumerate(zip(clean, half, strict=True)):
        if index in chosen:
            assert after["nomor_nik"] == before["nomor_nik"][:15] + "0"
        else:
            assert after == before


# --- Files ----------------------------------------------------------------------------------


def read_text(path: Path, delimiter: str, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def read_xlsx(path: Path) -> list[list[object]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        # A row whose last cells are empty may come back shorter: pad it.
        rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
        return [r + [None] * (len(COLUMNS) - len(r)) for r in rows]
    finally:
        wb.close()


def as_lists(rows: list[dict[str, str]]) -> list[list[str]]:
    return [[row[c] for c in COLUMNS] for row in rows]


@pytest.fixture(scope="module")
def small() -> list[dict[str, str]]:
    rows, _ = generate(
        VILLAGES, families_per_village=15, seed=4, accents=True, damage={"empty_name": 2}
    )
    return rows


@pytest.mark.parametrize(
    ("fmt", "delimiter"), [("csv", ","), ("csv-semicolon", ";"), ("pipe", "|")]
)
def test_text_formats_read_back(
    small: list[dict[str, str]], tmp_path: Path, fmt: str, delimiter: str
) -> None:
    path = write(small, tmp_path / "export.txt", fmt)
    assert path == tmp_path / "export.txt"
    table = read_text(path, delimiter)
    assert table[0] == list(COLUMNS)
    assert table[1:] == as_lists(small)
    assert path.read_bytes().splitlines()[0].decode() == delimiter.join(COLUMNS)


@pytest.mark.parametrize("engine", ["fast", "openpyxl"])
def test_xlsx_reads_back(small: list[dict[str, str]], tmp_path: Path, engine: str) -> None:
    path = write(small, tmp_path / "export.xlsx", "xlsx", engine=engine)
    table = read_xlsx(path)
    assert table[0] == list(COLUMNS)
    assert [[value or "" for value in row] for row in table[1:]] == as_lists(small)
    assert all(isinstance(v, str) for row in table[1:] for v in row if v is not None)
    full = openpyxl.load_workbook(path)  # the ordinary (not read-only) reader too
    assert full.active.title == "Data"
    assert full.active.max_row == len(small) + 1
    assert full.active.max_column == len(COLUMNS)


@pytest.mark.parametrize("engine", ["fast", "openpyxl"])
def test_xlsx_numeric_ids(tmp_path: Path, engine: str) -> None:
    rows, damages = generate(
        [PASAR_IPUH], families_per_village=20, seed=6, damage={"nik_scientific": 1}
    )
    (scientific,) = damages
    nik_at, kk_at = COLUMNS.index("nomor_nik"), COLUMNS.index("nomor_kk")

    table = read_xlsx(write(rows, tmp_path / "n.xlsx", "xlsx", numeric_ids=True, engine=engine))
    for index, (row, cells) in enumerate(zip(rows, table[1:], strict=True)):
        for at, column in ((nik_at, "nomor_nik"), (kk_at, "nomor_kk")):
            value = cells[at]
            assert isinstance(value, int | float) and not isinstance(value, bool)
            if index == scientific.row and column == "nomor_nik":
                assert value == float(row[column])  # 3.20123E+15 → 3201230000000000
            else:
                # The first 15 digits kept, the 16th turned to 0, as Excel does.
                assert value == int(row[column][:15] + "0")
        assert cells[COLUMNS.index("rt")] == row["rt"]  # other columns stay text

    exact = read_xlsx(write(rows, tmp_path / "e.xlsx", "xlsx", numeric_ids="exact", engine=engine))
    for index, (row, cells) in enumerate(zip(rows, exact[1:], strict=True)):
        if index != scientific.row:
            assert cells[nik_at] == int(row["nomor_nik"])
        assert cells[kk_at] == int(row["nomor_kk"])


def test_cp1252_and_utf8_sig(small: list[dict[str, str]], tmp_path: Path) -> None:
    accented = [r["nama"] for r in small if any(ord(ch) > 127 for ch in r["nama"])]
    assert accented  # accents=True gives a few names such as "Andrés" or "Zoë"

    cp = write(small, tmp_path / "cp.csv", "csv", encoding="cp1252")
    data = cp.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert accented[0].encode("cp1252") in data
    assert read_text(cp, ",", "cp1252")[1:] == as_lists(small)

    sig = write(small, tmp_path / "sig.csv", "csv-semicolon", encoding="utf-8-sig")
    data = sig.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert accented[0].encode("utf-8") in data
    table = read_text(sig, ";", "utf-8-sig")
    assert table[0] == list(COLUMNS)
    assert table[1:] == as_lists(small)


def test_no_accents_by_default(rows: list[dict[str, str]]) -> None:
    assert all(row["nama"].isascii() for row in rows)


def test_write_errors(small: list[dict[str, str]], tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write(small, tmp_path / "x.ods", "ods")
    with pytest.raises(ValueError):
        write(small, tmp_path / "x.csv", "csv", numeric_ids=True)
    with pytest.raises(ValueError):
        write(small, tmp_path / "x.xlsx", "xlsx", engine="xlsxwriter")


# --- Villages from regions ------------------------------------------------------------------


def test_villages_from_region_models() -> None:
    provinsi = Region(code="17", name="Bengkulu", level=1)
    kabupaten = Region(code="1706", name="Kabupaten Mukomuko", level=2, parent=provinsi)
    kecamatan = Region(code="170605", name="Ipuh", level=3, parent=kabupaten)
    village = Region(code="1706052006", name="Pasar Ipuh", level=4, parent=kecamatan)
    assert villages_from_regions([kecamatan, village]) == [
        Village("1706052006", "Pasar Ipuh", "Ipuh", "Kabupaten Mukomuko", "Bengkulu")
    ]


def test_villages_from_parent_chains_tuples_and_villages() -> None:
    prov = SimpleNamespace(code="13", name="Sumatera Barat", parent=None)
    kab = SimpleNamespace(code="13.72", name="Kota Solok", parent=prov)
    kec = SimpleNamespace(code="13.72.01", name="Lubuk Sikarah", parent=kab)
    vil = SimpleNamespace(code="13.72.01.1001", name="Tanah Garam", parent=kec)
    as_tuple = ("17.06.05.2006", "Pasar Ipuh", "Ipuh", "Kabupaten Mukomuko", "Bengkulu")
    assert villages_from_regions([vil, as_tuple, AIR_BULUH]) == [
        TANAH_GARAM,
        PASAR_IPUH,
        AIR_BULUH,
    ]
    orphan = SimpleNamespace(code="1706052006", name="Pasar Ipuh", parent=None)
    with pytest.raises(ValueError):
        villages_from_regions([orphan])
