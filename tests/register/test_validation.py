"""Validation of every row of an upload, each rule on its own: the secretary sees the row number
and an Indonesian reason on the preview page, the row's family is held, nothing is written
before confirmation, and a rejected row never reaches the register."""

from __future__ import annotations

import re

import pytest

from portal.demo import synthetic
from portal.personal_data import mask_id
from tests.factories import DESA_AIR_BULUH, DESA_PASAR_IPUH
from tests.register.conftest import (
    counts,
    csv_bytes,
    errors_by_row,
    household,
    person,
    seed_register,
    text_of,
)

TARGET = 1  # the damaged row's index; file row 3 (the header is row 1)
FILE_ROW = TARGET + 2


@pytest.fixture
def rows(pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=4, seed=7)
    return rows


def expect_rejected(importer, rows, expected: str, *, index: int = TARGET, held: bool = True):
    """Upload `rows`; exactly row `index` is rejected with `expected` in its reason, shown on
    the page, its family held (when its KK is readable), nothing written."""
    before = counts()
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    assert record.status == "preview", record.message
    errors = errors_by_row(record)
    assert list(errors) == [index + 2], record.issues
    assert any(expected in message for message in errors[index + 2]), errors
    assert record.summary["rows_rejected"] == 1
    assert record.summary["rows_valid"] == len(rows) - 1
    if held:
        assert rows[index]["nomor_kk"] in record.summary["samples"]["held"]

    page = text_of(importer.page(record.id))
    assert expected in page
    assert "Ditolak:" in page
    assert re.search(rf'<td class="num">{index + 2}</td>', page)
    assert counts() == before  # a preview writes nothing
    return record


def with_nik(row: dict[str, str], nik: str) -> None:
    row["nomor_nik"] = nik


# --- NIK and No. KK: length, digits ---------------------------------------------------------


@pytest.mark.parametrize(
    ("cut", "expected"),
    [
        (1, "NIK harus 16 digit (berisi 15 digit)."),
        (-1, "NIK harus 16 digit (berisi 17 digit)."),
    ],
)
def test_nik_not_16_digits(sekretaris, importer, rows, cut, expected):
    nik = rows[TARGET]["nomor_nik"]
    with_nik(rows[TARGET], nik[:-1] if cut == 1 else nik + "1")
    expect_rejected(importer, rows, expected)


def test_nik_with_letters(sekretaris, importer, rows):
    with_nik(rows[TARGET], rows[TARGET]["nomor_nik"][:15] + "O")
    expect_rejected(importer, rows, "NIK hanya boleh berisi angka.")


def test_nik_empty(sekretaris, importer, rows):
    with_nik(rows[TARGET], "")
    expect_rejected(importer, rows, "NIK kosong.")


def test_kk_not_16_digits(sekretaris, importer, pasar_ipuh):
    rows, damages = synthetic.generate(
        [pasar_ipuh], families_per_village=4, seed=7, damage={"kk_short": 1}
    )
    (damage,) = damages
    # The damaged KK names no family: the row alone is rejected (see the report on half
    # families), and it never reaches the register.
    record = expect_rejected(
        importer, rows, "No. KK harus 16 digit (berisi 15 digit).", index=damage.row, held=False
    )
    assert record.issues[0][1] == "nomor_kk"
    importer.confirm(record.id)
    assert person(rows[damage.row]["nomor_nik"]) is None


def test_kk_serial_0000(sekretaris, importer, rows):
    kk = rows[TARGET]["nomor_kk"]
    for row in rows:
        if row["nomor_kk"] == kk:
            row["nomor_kk"] = kk[:12] + "0000"
    # Every member of that family carries the impossible KK: all of them are rejected.
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    family_rows = [i + 2 for i, row in enumerate(rows) if row["nomor_kk"].endswith("0000")]
    assert sorted(errors_by_row(record)) == family_rows
    assert "Nomor urut No. KK 0000 tidak mungkin" in text_of(importer.page(record.id))


# --- NIK: the birth date digits ------------------------------------------------------------


@pytest.mark.parametrize("day", ["00", "32", "35", "40", "72", "80", "99"])
def test_nik_impossible_day(sekretaris, importer, rows, day):
    nik = rows[TARGET]["nomor_nik"]
    with_nik(rows[TARGET], nik[:6] + day + "01" + nik[10:])
    expect_rejected(importer, rows, f"Tanggal lahir dalam NIK (digit 7–8) tidak mungkin: {day}")


@pytest.mark.parametrize("day_month", ["3002", "7102", "3104", "7106"])
def test_nik_day_impossible_in_its_month(sekretaris, importer, rows, day_month):
    nik = rows[TARGET]["nomor_nik"]
    with_nik(rows[TARGET], nik[:6] + day_month + nik[10:])
    expect_rejected(importer, rows, "Tanggal lahir dalam NIK (digit 7–8) tidak mungkin")


@pytest.mark.parametrize("month", ["00", "13", "20", "99"])
def test_nik_impossible_month(sekretaris, importer, rows, month):
    nik = rows[TARGET]["nomor_nik"]
    with_nik(rows[TARGET], nik[:8] + month + nik[10:])
    expect_rejected(importer, rows, f"Bulan lahir dalam NIK (digit 9–10) tidak mungkin: {month}")


@pytest.mark.parametrize("day", ["01", "31", "41", "71"])
def test_nik_possible_days_accepted(sekretaris, importer, rows, day):
    """1–31 for men, 41–71 for women: no error (a mismatch with the other columns only warns)."""
    nik = rows[TARGET]["nomor_nik"]
    with_nik(rows[TARGET], nik[:6] + day + "01" + nik[10:])
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    assert errors_by_row(record) == {}
    assert record.summary["rows_rejected"] == 0


def test_nik_serial_0000(sekretaris, importer, pasar_ipuh):
    rows, damages = synthetic.generate(
        [pasar_ipuh], families_per_village=4, seed=7, damage={"nik_serial_zero": 1}
    )
    expect_rejected(importer, rows, "Nomor urut NIK 0000 tidak mungkin", index=damages[0].row)


# --- Numbers a spreadsheet damaged -------------------------------------------------------


@pytest.mark.parametrize("value", ["3.20123E+15", "1.70605E+15", "3,20123E+15", "1.706051e15"])
def test_nik_in_scientific_notation(sekretaris, importer, rows, value):
    with_nik(rows[TARGET], value)
    expect_rejected(importer, rows, f"NIK tertulis sebagai notasi ilmiah ({value})")


def test_nik_scientific_from_the_generator(sekretaris, importer, pasar_ipuh):
    rows, damages = synthetic.generate(
        [pasar_ipuh], families_per_village=4, seed=7, damage={"nik_scientific": 1}
    )
    expect_rejected(importer, rows, "notasi ilmiah", index=damages[0].row)


@pytest.mark.parametrize("suffix", [".0", ",0", "."])
def test_nik_as_a_decimal(sekretaris, importer, rows, suffix):
    with_nik(rows[TARGET], rows[TARGET]["nomor_nik"] + suffix)
    expect_rejected(importer, rows, "NIK tertulis sebagai angka desimal")


def test_kk_as_a_decimal(sekretaris, importer, rows):
    kk = rows[TARGET]["nomor_kk"]
    rows[TARGET]["nomor_kk"] = kk + ".0"
    expect_rejected(importer, rows, "No. KK tertulis sebagai angka desimal", held=False)


@pytest.mark.parametrize("numeric_ids", [True, "exact"])
def test_xlsx_numeric_cells_are_never_accepted(sekretaris, importer, rows, make_file, numeric_ids):
    """A NIK column formatted as Number: even an exact integer cannot be trusted."""
    path = make_file(rows, "xlsx", numeric_ids=numeric_ids)
    record = importer.preview(path, DESA_PASAR_IPUH)
    assert record.status == "preview", record.message
    assert record.summary["rows_rejected"] == len(rows)
    assert record.summary["families_in_file"] == 0
    messages = {m for found in errors_by_row(record).values() for m in found}
    assert any("NIK tersimpan sebagai angka di spreadsheet" in m for m in messages)
    assert any("No. KK tersimpan sebagai angka di spreadsheet" in m for m in messages)
    page = text_of(importer.page(record.id))
    assert "Format kolom sebagai Teks" in page
    assert "Tidak ada keluarga yang sah di berkas ini" in page
    assert "Konfirmasi dan simpan" not in page


def test_nik_column_with_lost_last_digits(sekretaris, importer, pasar_ipuh):
    """Most NIKs ending in 0: the column was stored as numbers; those NIKs are not accepted."""
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=30, seed=3)
    synthetic.zero_last_digit(rows, 0.8)
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    zero_rows = {i + 2 for i, row in enumerate(rows) if row["nomor_nik"].endswith("0")}
    errors = errors_by_row(record)
    assert zero_rows <= set(errors)
    for line in zero_rows:
        # Serials 0001–0009 became 0000, which has its own reason; both name the spreadsheet.
        assert any(
            "Sebagian besar NIK di berkas ini berakhir dengan 0" in m
            or "digit terakhirnya kemungkinan hilang karena spreadsheet" in m
            for m in errors[line]
        ), errors[line]
    assert "berakhir dengan 0" in text_of(importer.page(record.id))

    importer.confirm(record.id)
    stored = {row["nomor_nik"] for row in rows if person(row["nomor_nik"]) is not None}
    assert not any(nik.endswith("0") for nik in stored)


def test_a_natural_share_of_niks_ending_in_0_is_fine(sekretaris, importer, pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=30, seed=3)
    assert any(row["nomor_nik"].endswith("0") for row in rows)
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    assert errors_by_row(record) == {}


# --- Region, duplicates, the register ----------------------------------------------------


@pytest.mark.parametrize("code", [DESA_AIR_BULUH, "1706059999"])
def test_row_of_another_village(sekretaris, importer, rows, code):
    rows[TARGET]["kode_wilayah"] = code
    expect_rejected(
        importer,
        rows,
        f"Baris ini milik wilayah {code}, bukan desa/kelurahan tujuan impor ({DESA_PASAR_IPUH}).",
    )


def test_row_of_another_village_from_the_generator(sekretaris, importer, pasar_ipuh):
    rows, damages = synthetic.generate(
        [pasar_ipuh], families_per_village=4, seed=7, damage={"wrong_village": 1}
    )
    expect_rejected(importer, rows, "bukan desa/kelurahan tujuan impor", index=damages[0].row)


def test_same_nik_twice_rejects_both_rows(sekretaris, importer, rows):
    first, second = 0, 5
    with_nik(rows[second], rows[first]["nomor_nik"])
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    errors = errors_by_row(record)
    assert sorted(errors) == [first + 2, second + 2]
    assert f"NIK yang sama juga ada di baris {second + 2}." in errors[first + 2]
    assert f"NIK yang sama juga ada di baris {first + 2}." in errors[second + 2]
    held = record.summary["samples"]["held"]
    assert rows[first]["nomor_kk"] in held and rows[second]["nomor_kk"] in held

    importer.confirm(record.id)
    assert person(rows[first]["nomor_nik"]) is None
    assert household(rows[first]["nomor_kk"]) is None
    assert household(rows[second]["nomor_kk"]) is None


def test_nik_already_in_an_active_family_elsewhere(sekretaris, importer, rows, air_buluh):
    """A person still registered in a family of Air Buluh: the Pasar Ipuh family that lists
    them is held; Air Buluh is outside the secretary's scope, so the message names nothing of
    it (neither its code nor even the masked KK)."""
    other_rows, _ = synthetic.generate([air_buluh], families_per_village=2, seed=11)
    seed_register(csv_bytes(other_rows), DESA_AIR_BULUH)
    other = other_rows[0]
    with_nik(rows[TARGET], other["nomor_nik"])
    before = counts()

    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    masked = mask_id(other["nomor_kk"])
    assert re.fullmatch(r"170605\*{8}\d\d", masked)
    expected = (
        "NIK ini sudah terdaftar di wilayah lain. Admin dinas sosial kabupaten menyelesaikannya."
    )
    assert errors_by_row(record) == {FILE_ROW: [expected]}
    assert record.summary["samples"]["held"] == [rows[TARGET]["nomor_kk"]]
    stored = str(record.issues)
    assert other["nomor_kk"] not in stored  # the database keeps the masked KK only
    page = text_of(importer.page(record.id))
    assert expected in page
    assert other["nomor_kk"] not in page
    assert masked not in page and DESA_AIR_BULUH not in page
    assert counts() == before

    importer.confirm(record.id)
    assert household(rows[TARGET]["nomor_kk"]) is None
    moved = person(other["nomor_nik"])
    assert moved.household.kk == other["nomor_kk"]  # still in the Air Buluh family
    assert moved.household.status == "active"


def test_empty_name(sekretaris, importer, rows):
    rows[TARGET]["nama"] = "  "
    expect_rejected(importer, rows, "Nama kosong.")


def test_birth_date_in_the_future(sekretaris, importer, rows):
    rows[TARGET]["tanggal_lahir"] = "2099-01-15"
    expect_rejected(importer, rows, "Tanggal lahir 2099-01-15 di masa depan.")


def test_unreadable_birth_date(sekretaris, importer, rows):
    rows[TARGET]["tanggal_lahir"] = "31 Februari 2020"
    expect_rejected(importer, rows, "Tanggal lahir tidak terbaca")


def test_unknown_sex(sekretaris, importer, rows):
    rows[TARGET]["jenis_kelamin"] = "X"
    expect_rejected(importer, rows, "Jenis kelamin harus L atau P.")


@pytest.mark.parametrize("desil", ["0", "11", "dua"])
def test_desil_outside_1_to_10(sekretaris, importer, rows, desil):
    rows[TARGET]["desil"] = desil
    expect_rejected(importer, rows, "Desil harus angka 1 sampai 10.")


def test_kk_spread_over_two_villages(regions, auth, importer, pasar_ipuh, air_buluh):
    from tests.factories import KAB_MUKOMUKO, make_user

    auth.login_as(make_user("admin", KAB_MUKOMUKO))
    rows, _ = synthetic.generate([pasar_ipuh, air_buluh], families_per_village=3, seed=9)
    kk = rows[0]["nomor_kk"]
    stray = next(row for row in rows if row["kode_wilayah"] == DESA_AIR_BULUH)
    stray["nomor_kk"] = kk
    record = importer.preview(csv_bytes(rows), KAB_MUKOMUKO)
    errors = errors_by_row(record)
    family = [i + 2 for i, row in enumerate(rows) if row["nomor_kk"] == kk]
    assert sorted(errors) == family
    for line in family:
        assert errors[line] == ["No. KK yang sama tercatat di lebih dari satu desa/kelurahan."]


# --- Warnings do not reject --------------------------------------------------------------


def test_sex_inconsistent_with_nik_only_warns(sekretaris, importer, rows):
    row = rows[TARGET]
    row["jenis_kelamin"] = "L" if row["jenis_kelamin"] == "P" else "P"
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    assert errors_by_row(record) == {}
    assert record.summary["rows_rejected"] == 0
    assert record.summary["warnings"] == 1
    (issue,) = record.issues
    assert issue[0] == FILE_ROW and issue[1] == "jenis_kelamin" and issue[3] == "warning"
    assert "tidak sesuai dengan NIK" in issue[2]
    page = text_of(importer.page(record.id))
    assert "Peringatan:" in page and "tidak sesuai dengan NIK" in page

    importer.confirm(record.id)
    assert person(row["nomor_nik"]).sex == row["jenis_kelamin"]


def test_birth_date_inconsistent_with_nik_only_warns(sekretaris, importer, rows):
    row = rows[TARGET]
    row["tanggal_lahir"] = "1990-06-15"
    assert row["nomor_nik"][6:12] not in ("150690", "550690")
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    assert errors_by_row(record) == {}
    assert [i[2] for i in record.issues] == [
        "Tanggal lahir tidak sesuai dengan digit tanggal dalam NIK."
    ]
    importer.confirm(record.id)
    assert person(row["nomor_nik"]).birth_date.isoformat() == "1990-06-15"


# --- Only the rejected rows' families wait -----------------------------------------------


def test_rejected_row_never_reaches_the_register(sekretaris, importer, rows):
    kk = rows[TARGET]["nomor_kk"]
    with_nik(rows[TARGET], rows[TARGET]["nomor_nik"][:-1])
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    record = importer.confirm(record.id)
    assert record.status == "done"

    assert household(kk) is None  # held whole: no half family
    for row in rows:
        if row["nomor_kk"] != kk:
            found = person(row["nomor_nik"])
            assert found is not None and found.name == row["nama"]
    families = {row["nomor_kk"] for row in rows}
    assert counts()["households"] == len(families) - 1
