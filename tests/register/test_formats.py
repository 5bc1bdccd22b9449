"""File formats of a register export, and files that are not one: every bad file gives a clear
Indonesian message on the page and writes nothing to the register, never a server error."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.blueprints.register.models import RegisterImport
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH
from tests.register.conftest import counts, csv_bytes, errors_by_row, person, text_of


@pytest.fixture
def rows(pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=5, seed=21, accents=True)
    return rows


def import_count() -> int:
    return db.session.execute(select(func.count()).select_from(RegisterImport)).scalar_one()


def assert_all_stored(rows):
    for row in rows:
        found = person(row["nomor_nik"])
        assert found is not None, row
        assert found.name == row["nama"]
        assert found.household.kk == row["nomor_kk"]
        assert found.birth_date.isoformat() == row["tanggal_lahir"]


# --- Formats that work ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "encoding", "expected_format"),
    [
        ("xlsx", "utf-8", "xlsx"),
        ("csv", "utf-8", "csv"),
        ("csv-semicolon", "utf-8", "csv-semicolon"),
        ("csv", "utf-8-sig", "csv"),
        ("csv-semicolon", "utf-8-sig", "csv-semicolon"),
        ("csv", "cp1252", "csv"),
        ("csv-semicolon", "cp1252", "csv-semicolon"),
        ("pipe", "utf-8", "pipe"),
    ],
)
def test_formats_import_every_row(
    sekretaris, importer, make_file, rows, fmt, encoding, expected_format
):
    assert any(not row["nama"].isascii() for row in rows)
    options = {} if fmt == "xlsx" else {"encoding": encoding}
    path = make_file(rows, fmt, **options)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    record = importer.run(path, DESA_PASAR_IPUH)

    assert record.summary["format"] == expected_format
    assert record.summary["rows"] == len(rows)
    assert record.summary["rows_rejected"] == 0
    assert counts()["persons"] == len(rows)
    assert_all_stored(rows)  # names with é read right, whatever the encoding
    # The header keeps no BOM: the first column (iddtks) is read too.
    assert person(rows[0]["nomor_nik"]).household.iddtks == rows[0]["iddtks"]


def test_utf16_with_bom_and_tabs(sekretaris, importer, rows):
    """Excel's "Unicode Text": UTF-16 with a BOM, tab-delimited."""
    data = csv_bytes(rows, delimiter="\t", encoding="utf-16")
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff")
    record = importer.run(data, DESA_PASAR_IPUH, "prelist.txt")
    assert record.summary["format"] == "tsv"
    assert_all_stored(rows)


# UTF-16 without a BOM is read too: tests/register/test_hostile_import.py.


def test_headers_matched_ignoring_case_spaces_and_underscores(sekretaris, importer, rows):
    columns = ("nomor_nik", "nomor_kk", "nama", "kode_wilayah", "tanggal_lahir", "jenis_kelamin",
               "hubungan_keluarga", "rt", "rw", "alamat")  # fmt: skip
    header = ("Nomor NIK", "NOMOR_KK", "  Nama ", "Kode Wilayah", "TANGGAL LAHIR",
              "Jenis_Kelamin", "hubungan keluarga", "RT", "rw", "ALAMAT")  # fmt: skip
    record = importer.run(csv_bytes(rows, columns=columns, header=header), DESA_PASAR_IPUH)
    assert record.summary["rows_rejected"] == 0
    assert_all_stored(rows)
    first = person(rows[0]["nomor_nik"])
    assert (first.household.rt, first.household.alamat) == (rows[0]["rt"], rows[0]["alamat"])


def test_extra_columns_are_ignored(sekretaris, importer, rows):
    for number, row in enumerate(rows):
        row["catatan"] = "=SUM(A1:A9)"
        row["no"] = str(number + 1)
    columns = ("no", *synthetic.COLUMNS, "catatan")
    record = importer.run(csv_bytes(rows, columns=columns), DESA_PASAR_IPUH)
    assert record.summary["rows_rejected"] == 0
    assert record.issues == []
    assert_all_stored(rows)


def test_village_found_by_names_without_code_column(sekretaris, importer, rows):
    columns = tuple(c for c in synthetic.COLUMNS if c != "kode_wilayah")
    record = importer.run(csv_bytes(rows, columns=columns), DESA_PASAR_IPUH)
    assert record.summary["rows_rejected"] == 0
    assert person(rows[0]["nomor_nik"]).household.village_code == DESA_PASAR_IPUH


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (("nomor_nik",), "nomor_nik"),
        (("nomor_kk",), "nomor_kk"),
        (("nama",), "nama"),
        (("kode_wilayah", "desa_kelurahan"), "kode_wilayah / desa_kelurahan"),
    ],
)
def test_missing_required_column_is_named(sekretaris, importer, rows, missing, named):
    columns = tuple(c for c in synthetic.COLUMNS if c not in missing)
    record = importer.preview(csv_bytes(rows, columns=columns), DESA_PASAR_IPUH)
    assert record.status == "failed"
    assert record.message.startswith(f"Kolom wajib tidak ada: {named}.")
    page = text_of(importer.page(record.id))
    assert f"Kolom wajib tidak ada: {named}." in page
    assert counts() == {"households": 0, "persons": 0, "events": 0}


def test_ragged_rows_rejected_one_by_one(sekretaris, importer, rows):
    lines = csv_bytes(rows).decode().split("\r\n")
    short_line, long_line, cut_line = 3, 6, 9  # file rows (1-based)
    lines[short_line - 1] = lines[short_line - 1].rsplit(",", 1)[0]  # the last column lost
    lines[long_line - 1] += ",lebih,lagi"
    lines[cut_line - 1] = ",".join(lines[cut_line - 1].split(",")[:10])  # cut before the KK
    record = importer.preview("\r\n".join(lines).encode(), DESA_PASAR_IPUH)

    errors = errors_by_row(record)
    assert sorted(errors) == [short_line, long_line, cut_line]
    assert errors[short_line] == [
        "Jumlah kolom 21, tidak sama dengan baris judul (22): periksa pemisah atau tanda kutip "
        "di baris ini."
    ]
    assert "Jumlah kolom 24, tidak sama dengan baris judul (22)" in errors[long_line][0]
    assert "Jumlah kolom 10, tidak sama dengan baris judul (22)" in errors[cut_line][0]
    page = text_of(importer.page(record.id))
    assert "Jumlah kolom 21" in page and "Jumlah kolom 24" in page

    importer.confirm(record.id)
    # A ragged row whose KK is readable holds its whole family.
    held = {rows[short_line - 2]["nomor_kk"], rows[long_line - 2]["nomor_kk"]}
    for row in rows:
        if row["nomor_kk"] in held:
            assert person(row["nomor_nik"]) is None
    assert person(rows[cut_line - 2]["nomor_nik"]) is None
    stored = [row for row in rows if person(row["nomor_nik"]) is not None]
    assert len(stored) == counts()["persons"] > 0


# --- Files that are not a usable export ---------------------------------------------------


def xlsx_bytes(edit) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(synthetic.COLUMNS))
    rows, _ = synthetic.generate(
        [synthetic.Village(DESA_PASAR_IPUH, "Pasar Ipuh", "Ipuh", "Kabupaten Mukomuko",
                           "Bengkulu")],
        families_per_village=2,
        seed=1,
    )  # fmt: skip
    for row in rows:
        sheet.append([row[c] for c in synthetic.COLUMNS])
    edit(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def header_only_xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(list(synthetic.COLUMNS))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def empty_xlsx() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def docx_like() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


BAD_FILES = {
    "png": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
        "foto.png",
        "Berkas ini bukan spreadsheet",
    ),
    "pdf": (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" * 20,
        "prelist.pdf",
        "Berkas ini bukan spreadsheet",
    ),
    "password": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096),
        "prelist.xlsx",
        "Berkas ini terkunci kata sandi atau berformat Excel lama (.xls)",
    ),
    "merged": (
        xlsx_bytes(lambda sheet: sheet.merge_cells("A2:B2")),
        "prelist.xlsx",
        "Berkas berisi sel gabungan (merged cells), misalnya A2:B2.",
    ),
    "formula": (
        xlsx_bytes(lambda sheet: sheet.__setitem__("M3", "=1+1")),
        "prelist.xlsx",
        "Berkas berisi rumus (formula), misalnya di sel M3.",
    ),
    "header_only_csv": (
        (",".join(synthetic.COLUMNS) + "\r\n").encode(),
        "prelist.csv",
        "Berkas hanya berisi baris judul, tanpa data.",
    ),
    "header_only_xlsx": (
        header_only_xlsx(),
        "prelist.xlsx",
        "Berkas hanya berisi baris judul, tanpa data.",
    ),
    "empty_sheet": (empty_xlsx(), "prelist.xlsx", "Lembar pertama berkas XLSX kosong."),
    "docx": (docx_like(), "prelist.xlsx", "Berkas ini bukan XLSX"),
    "broken_zip": (b"PK\x03\x04" + b"rusak" * 100, "prelist.xlsx", "Berkas XLSX rusak"),
    "blank_lines": (b"\r\n\r\n   \r\n", "prelist.csv", "Berkas kosong."),
    "no_delimiter": (
        b"Ini surat pengantar, bukan ekspor\nterima kasih\n",
        "surat.txt",
        "Kolom wajib tidak ada",
    ),
    "undecodable": (
        (",".join(synthetic.COLUMNS) + "\r\n").encode() + b"x,\x81\x8d\x8f,y\r\n",
        "prelist.csv",
        "Pengodean karakter berkas tidak dikenali",
    ),
    "prose": (b"Daftar keluarga miskin desa\n", "catatan.txt", "Pemisah kolom tidak ditemukan"),
    "huge_field": (
        (",".join(synthetic.COLUMNS) + "\r\n" + '"' + "x" * 200_000 + '"\r\n').encode(),
        "prelist.csv",
        "Berkas tidak dapat dibaca sebagai CSV di baris",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_file_gives_a_clear_message_and_writes_nothing(sekretaris, importer, kind):
    data, filename, expected = BAD_FILES[kind]
    response = importer.upload(data, DESA_PASAR_IPUH, filename)
    assert response.status_code == 302
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = importer.page(import_id)
    assert page.status_code == 200
    text = text_of(page)
    assert expected in text
    assert "gagal" in text
    assert "Register tidak berubah" in text
    assert "Konfirmasi dan simpan" not in text
    assert importer.record(import_id).status == "failed"
    assert counts() == {"households": 0, "persons": 0, "events": 0}

    # Confirming a failed import is refused, and still writes nothing.
    confirmed = importer.client.post(f"/keluarga/impor/{import_id}/konfirmasi",
                                     follow_redirects=True)  # fmt: skip
    assert confirmed.status_code == 200
    assert "Impor ini tidak sedang menunggu konfirmasi." in text_of(confirmed)
    assert counts() == {"households": 0, "persons": 0, "events": 0}


def test_empty_upload_is_refused_on_the_form(sekretaris, importer):
    response = importer.upload(b"", DESA_PASAR_IPUH, "kosong.csv")
    assert response.status_code == 200
    assert "Berkas kosong (0 byte)." in text_of(response)
    assert import_count() == 0


def test_upload_without_a_file(sekretaris, importer):
    response = importer.client.post(
        "/keluarga/impor", data={"target": DESA_PASAR_IPUH}, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert "Pilih berkas untuk diunggah." in text_of(response)
    assert import_count() == 0


class TestUploadLimit:
    @pytest.fixture
    def app_config(self):
        return {"MAX_CONTENT_LENGTH": 1024 * 1024}

    def test_file_over_the_limit(self, sekretaris, importer):
        data = b"nomor_kk,nomor_nik,nama,kode_wilayah\r\n" + b"1,2,x,3\r\n" * 200_000
        assert len(data) > 1024 * 1024
        response = importer.upload(data, DESA_PASAR_IPUH, "besar.csv")
        assert response.status_code == 413
        text = text_of(response)
        assert "Berkas terlalu besar" in text
        assert "1 MB" in text
        assert import_count() == 0
        assert counts()["persons"] == 0

    def test_file_under_the_limit_still_works(self, sekretaris, importer, rows):
        record = importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
        assert record.summary["rows_rejected"] == 0


# --- Spreadsheets as people make them, and row numbers as they see them -----------------


def test_xlsx_made_in_a_spreadsheet_with_date_and_number_cells(sekretaris, importer, rows):
    """Dates as date cells, RT/RW and desil as numbers, NIK and KK as text: all read right."""
    from datetime import date

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(synthetic.COLUMNS))
    for row in rows:
        values = dict(row)
        values["tanggal_lahir"] = date.fromisoformat(row["tanggal_lahir"])
        values["rt"], values["rw"] = int(row["rt"]), int(row["rw"])
        values["desil"] = int(row["desil"]) if row["desil"] else None
        sheet.append([values[c] for c in synthetic.COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    record = importer.run(buffer.getvalue(), DESA_PASAR_IPUH, "prelist.xlsx")
    assert record.issues == []
    assert_all_stored(rows)
    family = person(rows[0]["nomor_nik"]).household
    assert (family.rt, family.rw) == (rows[0]["rt"], rows[0]["rw"])


def test_xlsx_with_inline_strings(sekretaris, importer, rows, make_file):
    path = make_file(rows, "xlsx", engine="openpyxl")
    record = importer.run(path, DESA_PASAR_IPUH)
    assert record.issues == []
    assert_all_stored(rows)


def sheet_bytes(rows, *, first_row: int, title: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet["A1"] = title
    for index, column in enumerate(synthetic.COLUMNS, start=1):
        sheet.cell(row=first_row, column=index, value=column)
    for offset, row in enumerate(rows, start=1):
        for index, column in enumerate(synthetic.COLUMNS, start=1):
            sheet.cell(row=first_row + offset, column=index, value=row[column] or None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_row_numbers_are_the_sheets(sekretaris, importer, rows):
    """Empty rows above the header: the reasons name the row number Excel shows."""
    rows[2]["nama"] = ""
    record = importer.preview(sheet_bytes(rows, first_row=3), DESA_PASAR_IPUH, "prelist.xlsx")
    assert errors_by_row(record) == {6: ["Nama kosong."]}


def test_xlsx_title_row_above_the_header_is_refused_clearly(sekretaris, importer, rows):
    data = sheet_bytes(rows, first_row=3, title="Prelist Desa Pasar Ipuh")
    record = importer.preview(data, DESA_PASAR_IPUH, "prelist.xlsx")
    assert record.status == "failed"
    assert "Baris pertama berkas harus berisi nama kolom" in record.message


def test_csv_row_numbers_are_the_files_lines(sekretaris, importer, rows):
    rows[0]["alamat"] = "Jl. Merdeka\nNo. 5"  # a quoted value over two lines
    rows[-1]["nama"] = ""
    assert rows[-1]["nomor_kk"] != rows[0]["nomor_kk"]
    lines = csv_bytes(rows).decode().split("\r\n")
    lines.insert(3, "")  # a blank line after the second record
    record = importer.preview("\r\n".join(lines).encode(), DESA_PASAR_IPUH)
    # Header line 1; record 1 on lines 2–3; record 2 on 4; a blank line 5; then one a line.
    assert errors_by_row(record) == {len(rows) + 3: ["Nama kosong."]}
    importer.confirm(record.id)
    assert person(rows[0]["nomor_nik"]).household.alamat == "Jl. Merdeka\nNo. 5"


def test_many_issues_are_paged(sekretaris, importer, pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=50, seed=2)
    for row in rows[:130]:
        row["nama"] = ""
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    assert len(record.issues) == 130
    first = text_of(importer.page(record.id))
    assert "Halaman 1 dari 2" in first
    assert first.count("Nama kosong.") == 100
    second = text_of(importer.client.get(f"/keluarga/impor/{record.id}?halaman=2"))
    assert second.count("Nama kosong.") == 30
    for page in ("0", "-3", "99", "x"):
        assert importer.client.get(f"/keluarga/impor/{record.id}?halaman={page}").status_code == 200


def test_filename_is_shown_escaped(sekretaris, importer, rows):
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH, '<script>alert("x")</script>.csv')
    body = importer.page(record.id).get_data(as_text=True)
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body
