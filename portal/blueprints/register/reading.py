"""Reading a register export into rows: XLSX, CSV (comma or semicolon; UTF-8 with or without
BOM, Windows-1252, UTF-16 with or without BOM), pipe- or tab-delimited text; lines may end in
CRLF, LF or CR, mixed.

Whatever is wrong with the file as a whole (not a spreadsheet, empty, encrypted, formulas,
merged cells, a missing required column) raises `FileProblem` with a message for the
secretary; what is wrong with one row is the validator's business.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from flask_babel import gettext as _

from portal import inflation
from portal.refusal import Refused

# Canonical columns of a register export, in export order.
COLUMNS = (
    "iddtks",
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
    "nomor_nik",
    "nama",
    "tanggal_lahir",
    "tempat_lahir",
    "jenis_kelamin",
    "nama_ibu_kandung",
    "hubungan_keluarga",
    "pkh",
    "bpnt",
    "pbi",
    "desil",
)
REQUIRED = ("nomor_kk", "nomor_nik", "nama")

# Other spellings seen in exports and hand-made sheets, by their normalised form.
ALIASES = {
    "nik": "nomor_nik",
    "noktp": "nomor_nik",
    "nomornik": "nomor_nik",
    "kk": "nomor_kk",
    "nokk": "nomor_kk",
    "nomorkk": "nomor_kk",
    "nomorkartukeluarga": "nomor_kk",
    "namalengkap": "nama",
    "jk": "jenis_kelamin",
    "tgllahir": "tanggal_lahir",
    "tanggallahir": "tanggal_lahir",
    "tmptlahir": "tempat_lahir",
    "shdk": "hubungan_keluarga",
    "hubungan": "hubungan_keluarga",
    "statushubungan": "hubungan_keluarga",
    "kodedesa": "kode_wilayah",
    "kodekelurahan": "kode_wilayah",
    "kodedesakelurahan": "kode_wilayah",
    "kodekemendagri": "kode_wilayah",
    "iddtsen": "iddtks",
    "desa": "desa_kelurahan",
    "kelurahan": "desa_kelurahan",
    "kabupaten": "kabupaten_kota",
    "kota": "kabupaten_kota",
    "namaibu": "nama_ibu_kandung",
    "ibukandung": "nama_ibu_kandung",
}
_CANONICAL = {name.replace("_", ""): name for name in COLUMNS}


class FileProblem(Refused):
    """The file cannot be read as a register export at all."""


@dataclass
class Table:
    format: str
    columns: dict[str, int]  # canonical column → index in a row
    header_width: int
    # (file row number, cells), read lazily: a 150,000-row file is never held twice in memory.
    rows: Iterator[tuple[int, list[Any]]] = field(default_factory=lambda: iter(()))
    typed_cells: bool = False  # XLSX: numbers come as numbers, not as text
    estimated_rows: int = 0  # for the progress bar only


def normalise_header(name: Any) -> str:
    return re.sub(r"[\s_.\-/]+", "", str(name or "").strip().lower()).lstrip("\ufeff")


def _shown(cell: Any) -> str:
    return str(cell).replace("\ufeff", "").strip()[:40]


def column_name(raw: Any) -> str | None:
    """The canonical column a header cell names, or None."""
    key = normalise_header(raw)
    return _CANONICAL.get(key) or ALIASES.get(key)


def map_columns(header: list[Any]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = column_name(raw)
        if name is None:
            continue
        if name in columns:
            # Two columns for one field: whichever were taken, the other would be ignored silently.
            raise FileProblem(
                _(
                    'Kolom %(col)s muncul dua kali di baris judul (kolom ke-%(first)d "%(a)s" '
                    'dan ke-%(second)d "%(b)s"). Hapus atau ganti nama salah satunya, lalu '
                    "unggah lagi.",
                    col=name,
                    first=columns[name] + 1,
                    a=_shown(header[columns[name]]),
                    second=index + 1,
                    b=_shown(raw),
                )
            )
        columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if "kode_wilayah" not in columns and "desa_kelurahan" not in columns:
        missing.append("kode_wilayah / desa_kelurahan")
    if missing:
        raise FileProblem(
            _(
                "Kolom wajib tidak ada: %(cols)s. Baris pertama berkas harus berisi nama kolom "
                "ekspor (misalnya nomor_kk, nomor_nik, nama, kode_wilayah).",
                cols=", ".join(missing),
            )
        )
    return columns


def read_table(data: bytes, filename: str = "") -> Table:
    if not data:
        raise FileProblem(_("Berkas kosong (0 byte)."))
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileProblem(
            _(
                "Berkas ini terkunci kata sandi atau berformat Excel lama (.xls). Buka di Excel, "
                "hapus kata sandinya, lalu simpan sebagai .xlsx atau CSV."
            )
        )
    text = _decode(data)
    return _read_delimited(text)


def _utf16_without_bom(head: bytes) -> str | None:
    """The codec ("utf-16-le" or "utf-16-be") of a `head` that looks like UTF-16 text without a
    byte-order mark, else None.

    Register text is nearly all Latin script: in UTF-16 every other byte is NUL (the odd ones in
    little-endian, the even ones in big-endian) and the other bytes almost never are. A binary
    file has its NULs everywhere."""
    head = head[: len(head) // 2 * 2]
    pairs = len(head) // 2
    if pairs < 8:
        return None
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    if odd_nuls >= 0.9 * pairs and even_nuls <= 0.02 * pairs:
        return "utf-16-le"
    if even_nuls >= 0.9 * pairs and odd_nuls <= 0.02 * pairs:
        return "utf-16-be"
    return None


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise FileProblem(_("Berkas UTF-16 rusak; simpan ulang sebagai CSV UTF-8.")) from error
    head = data[:4096]
    if b"\x00" in head and (encoding := _utf16_without_bom(data[:1024])):
        # Some tools write "Unicode" text without the byte-order mark Excel puts first.
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            raise FileProblem(
                _(
                    "Berkas CSV dalam UTF-16 tanpa penanda BOM dan isinya rusak; simpan ulang "
                    "sebagai CSV UTF-8."
                )
            ) from error
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8")):
        raise FileProblem(
            _("Berkas ini bukan spreadsheet. Unggah ekspor berformat XLSX, CSV atau teks.")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise FileProblem(
            _(
                "Pengodean karakter berkas tidak dikenali. Simpan ulang sebagai CSV UTF-8 "
                "(Excel: Simpan Sebagai → CSV UTF-8)."
            )
        ) from error


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "|", "\t")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise FileProblem(
            _("Pemisah kolom tidak ditemukan: gunakan koma, titik koma, garis tegak (|) atau tab.")
        )
    return best


def _read_delimited(text: str) -> Table:
    stripped = text.lstrip("\r\n")
    if not stripped.strip():
        raise FileProblem(_("Berkas kosong."))
    end = re.search(r"[\r\n]", stripped)
    delimiter = _delimiter(stripped if end is None else stripped[: end.start()])
    # newline="": lines end in CRLF, LF or a lone CR (old Mac, or a file pasted together from
    # several), and a line break inside a quoted cell stays in the cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    position = {"end": 0}

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            for fields in reader:
                line, position["end"] = position["end"] + 1, reader.line_num
                if not fields or all(not f.strip() for f in fields):
                    continue
                yield line, fields
        except csv.Error as error:
            # The csv module's own words are English ("field larger than field limit").
            reason = (
                _("ada sel yang lebih panjang dari %(n)d karakter", n=csv.field_size_limit())
                if "field limit" in str(error)
                else _("tanda kutip, pemisah kolom atau ganti baris tidak pada tempatnya")
            )
            raise FileProblem(
                _(
                    "Berkas tidak dapat dibaca sebagai CSV di baris %(line)d: %(error)s",
                    line=position["end"] + 1,
                    error=reason,
                )
            ) from error

    stream = records()
    header = next(stream, None)
    if header is None:
        raise FileProblem(_("Berkas kosong."))
    columns = map_columns(header[1])
    first = next(stream, None)
    if first is None:
        raise FileProblem(_("Berkas hanya berisi baris judul, tanpa data."))
    fmt = {",": "csv", ";": "csv-semicolon", "|": "pipe", "\t": "tsv"}[delimiter]
    return Table(
        format=fmt,
        columns=columns,
        header_width=len(header[1]),
        rows=chain([first], stream),
        estimated_rows=max(1, text.count("\n"), text.count("\r")),
    )


#: Limits on what an uploaded XLSX may inflate to, checked on the zip's central directory before
#: anything is inflated, then on the actual inflation. A real 150,000-person register (the
#: synthetic generator's, shared strings) has a 118 MB worksheet deflated 8.8×, and a 13 MB
#: sharedStrings.xml 6.8×; with inline strings the sheet reaches ~200 MB. A deflate bomb is
#: ~1,000×. (MAX_CONTENT_LENGTH caps the upload itself at 50 MB.)
XLSX_MAX_MEMBER_BYTES = 400 * 1024 * 1024  # twice the largest real worksheet
XLSX_MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all members together
XLSX_MAX_RATIO = 100  # real XLSX parts deflate 2-10×; bombs ~1,000×
#: Excel writes ~10 parts plus a few per sheet; zipfile holds an object per member in memory.
XLSX_MAX_MEMBERS = 1000
#: A formula's cell reference is searched in the last bytes of the previous chunk as well.
_SCAN_OVERLAP = 4096


def _too_large() -> FileProblem:
    return FileProblem(
        _(
            "Berkas XLSX ini terlalu besar setelah dibuka (isinya mengembang melebihi "
            "%(mb)d MB atau dipadatkan secara tidak wajar). Ekspor ulang data dari aplikasi "
            "sumbernya, atau bagi menjadi beberapa berkas.",
            mb=XLSX_MAX_TOTAL_BYTES // (1024 * 1024),
        )
    )


def _worksheet_xml_problems(archive: zipfile.ZipFile, data: bytes) -> str | None:
    """Formulas and merged cells make a sheet ambiguous: say which, or None. Inflates every
    member once, in bounded chunks, so that each is known to be within the limits and exactly
    its declared size before calamine reads it (raises InflationRefused otherwise)."""
    for info in archive.infolist():
        name = info.filename
        chunks = inflation.member_chunks(
            data, info, max_size=XLSX_MAX_MEMBER_BYTES, max_ratio=XLSX_MAX_RATIO
        )
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            for _chunk in chunks:
                pass
            continue
        merged = formula = None
        tail = b""
        for chunk in chunks:
            window = tail + chunk
            if merged is None and b"<mergeCell " in window:
                match = re.search(rb'<mergeCell ref="([A-Z0-9:]+)"', window)
                merged = match.group(1).decode() if match else "?"
            if formula is None and re.search(rb"<f[ >]", window):
                match = re.search(rb'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f[ >]', window)
                formula = match.group(1).decode() if match else "?"
            tail = window[-_SCAN_OVERLAP:]
        if merged is not None:
            return _(
                "Berkas berisi sel gabungan (merged cells), misalnya %(ref)s. Pisahkan sel "
                "gabungan sehingga setiap baris berisi satu orang, lalu unggah lagi.",
                ref=merged,
            )
        if formula is not None:
            return _(
                "Berkas berisi rumus (formula), misalnya di sel %(ref)s. Salin lalu tempel "
                "sebagai nilai saja (Paste Values), simpan, lalu unggah lagi.",
                ref=formula,
            )
    return None


def _read_xlsx(data: bytes) -> Table:
    try:
        archive = inflation.open_zip(
            data,
            max_members=XLSX_MAX_MEMBERS,
            max_member_size=XLSX_MAX_MEMBER_BYTES,
            max_total_size=XLSX_MAX_TOTAL_BYTES,
            max_ratio=XLSX_MAX_RATIO,
        )
        names = set(archive.namelist())
    except zipfile.BadZipFile as error:
        raise FileProblem(_("Berkas XLSX rusak dan tidak dapat dibuka.")) from error
    except inflation.InflationRefused as refused:
        if refused.too_large:
            raise _too_large() from refused
        raise FileProblem(_("Berkas XLSX rusak dan tidak dapat dibuka.")) from refused
    if "xl/workbook.xml" not in names:
        raise FileProblem(
            _("Berkas ini bukan XLSX (mungkin dokumen Word/ODS atau arsip ZIP lain).")
        )
    try:
        problem = _worksheet_xml_problems(archive, data)
    except inflation.InflationRefused as refused:
        if refused.too_large:
            raise _too_large() from refused
        raise FileProblem(_("Berkas XLSX rusak dan tidak dapat dibaca.")) from refused
    if problem:
        raise FileProblem(problem)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        stream = (
            (index + 1, cells)  # iter_rows starts at the sheet's row 1
            for index, cells in enumerate(sheet.iter_rows())
            if not all(cell in ("", None) for cell in cells)
        )
        first_row = next(stream, None)
        first = next(stream, None)
    except Exception as error:  # calamine raises its own error types for broken files
        raise FileProblem(_("Berkas XLSX rusak dan tidak dapat dibaca.")) from error
    if first_row is None:
        raise FileProblem(_("Lembar pertama berkas XLSX kosong."))
    header = first_row[1]
    columns = map_columns(header)
    if first is None:
        raise FileProblem(_("Berkas hanya berisi baris judul, tanpa data."))
    width = max((i for i, h in enumerate(header) if str(h).strip()), default=0) + 1
    rows = chain([first], stream)
    return Table(
        format="xlsx",
        columns=columns,
        header_width=width,
        rows=rows,
        typed_cells=True,
        estimated_rows=max(1, sheet.height),
    )
