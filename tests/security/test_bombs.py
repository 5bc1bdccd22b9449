"""Decompression bombs: an uploaded PDF whose attached keputusan.json, or an uploaded XLSX whose
worksheet, inflates to a gigabyte is refused with a clear message, writes nothing, answers no
500, and never costs the server more than a bounded amount of memory (measured in a child
process, as a worker would spend it). The hostile files are made here: too large to keep."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pikepdf
import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.blueprints.berita_acara import canonical
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.berita_acara.rendering.embedded import ATTACHMENT_NAME, read_embedded
from portal.blueprints.register import reading
from portal.extensions import db
from portal.inflation import InflationRefused
from tests.berita_acara.conftest import (  # noqa: F401  (fixtures)
    decided,
    invite,
    locked,
    meeting_data,
    register,
    sekretaris,
    users,
)
from tests.factories import DESA_PASAR_IPUH
from tests.register.conftest import Importer, counts, text_of

ROOT = Path(__file__).parent.parent.parent
GIB = 1024**3
MIB = 1024**2
#: The most a worker may reach while refusing a 50 MB hostile upload.
RSS_LIMIT_MB = 300

TOO_LARGE_XLSX = "Berkas XLSX ini terlalu besar setelah dibuka"
TOO_LARGE_PDF = "Daftar keputusan di dalam PDF terlalu besar untuk diperiksa"


# --- hostile files --------------------------------------------------------------------------


def deflate_bomb(
    chunk: bytes, times: int, *, wbits: int, prefix: bytes = b"", suffix: bytes = b""
) -> tuple[bytes, int, int]:
    """A deflate stream of prefix + chunk × times + suffix, its inflated size and CRC-32, made
    in the time of compressing `chunk` twice: after a full flush the compressor forgets its
    history, so each further copy of `chunk` compresses to the same bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(suffix) + compressor.flush()
    crc, adler = zlib.crc32(prefix), zlib.adler32(prefix)
    for _ in range(times):
        crc, adler = zlib.crc32(chunk, crc), zlib.adler32(chunk, adler)
    crc, adler = zlib.crc32(suffix, crc), zlib.adler32(suffix, adler)
    if wbits > 0:  # zlib format: the trailer is the Adler-32 of everything
        tail = tail[:-4] + struct.pack(">I", adler)
    stream = head + block * times + tail
    return stream, len(prefix) + len(chunk) * times + len(suffix), crc


def pdf_bomb(*, inflated: int = GIB, padding: int = 0, declare_size: bool = False) -> bytes:
    """An unsigned PDF whose keputusan.json is `inflated` bytes of JSON-looking spaces,
    deflated; `padding` bytes of random data make the file itself large."""
    compressed, size, _crc = deflate_bomb(
        b" " * MIB, inflated // MIB, wbits=15, prefix=b'{"families": {', suffix=b"}}"
    )
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, b"")
    stream.write(compressed, filter=pikepdf.Name.FlateDecode)  # already deflated
    stream.Type = pikepdf.Name.EmbeddedFile
    if declare_size:
        stream.Params = pikepdf.Dictionary(Size=size)
    spec = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Filespec,
            F=pikepdf.String(ATTACHMENT_NAME),
            UF=pikepdf.String(ATTACHMENT_NAME),
            EF=pikepdf.Dictionary(F=stream),
        )
    )
    pdf.Root.Names = pikepdf.Dictionary(
        EmbeddedFiles=pikepdf.Dictionary(
            Names=pikepdf.Array([pikepdf.String(ATTACHMENT_NAME), spec])
        )
    )
    if padding:
        pdf.Root.Padding = pdf.make_stream(os.urandom(padding))
    buffer = io.BytesIO()
    pdf.save(
        buffer,
        compress_streams=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
    )
    return buffer.getvalue()


_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")


def zip_bytes(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip of (name, stored bytes, method, CRC-32, declared size), written by hand so that a
    member may declare what it likes."""
    body, directory = bytearray(), bytearray()
    for name, raw, method, crc, size in members:
        encoded = name.encode()
        offset = len(body)
        body += _LOCAL.pack(
            b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(raw), size, len(encoded), 0
        )
        body += encoded + raw
        directory += _CENTRAL.pack(
            b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(raw), size, len(encoded),
            0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        directory += encoded
    end = _END.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(body), 0)
    return bytes(body + directory + end)


def deflated(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = compressor.compress(data) + compressor.flush()
    return name, raw, 8, zlib.crc32(data), len(data)


_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = [
    (
        "[Content_Types].xml",
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        b'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="appl'
        b'ication/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.open'
        b'xmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/work'
        b'sheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreads'
        b'heetml.worksheet+xml"/></Types>',
    ),
    (
        "_rels/.rels",
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
        b'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="' + _REL
        + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    ),
    (
        "xl/workbook.xml",
        b'<?xml version="1.0" encoding="UTF-8"?><workbook ' + _NS + b' xmlns:r="' + _REL
        + b'"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
    (
        "xl/_rels/workbook.xml.rels",
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
        b'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="' + _REL
        + b'/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    ),
]  # fmt: skip


def xlsx_bomb(*, inflated: int = GIB, padding: int = 0, lie: bool = False) -> bytes:
    """An XLSX whose sheet1.xml is `inflated` bytes of (valid, repeated) rows, deflated. With
    `lie`, the sheet declares 4 KB (and the CRC of its first 4 KB) in both headers; `padding`
    adds a stored member of random bytes to make the file itself large."""
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>1706050101900001</t></is></c></row>'
    chunk = (row * (MIB // len(row) + 1))[:MIB]
    prefix = b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _NS + b"><sheetData>"
    suffix = b"</sheetData></worksheet>"
    raw, size, crc = deflate_bomb(chunk, inflated // MIB, wbits=-15, prefix=prefix, suffix=suffix)
    if lie:
        size = 4096
        crc = zlib.crc32((prefix + chunk)[:size])
    members = [deflated(name, data) for name, data in _PARTS]
    members.append(("xl/worksheets/sheet1.xml", raw, 8, crc, size))
    if padding:
        noise = os.urandom(padding)
        members.append(("xl/media/image1.png", noise, 0, zlib.crc32(noise), len(noise)))
    return zip_bytes(members)


def many_members_xlsx(number: int) -> bytes:
    members = [deflated(name, data) for name, data in _PARTS]
    members += [deflated(f"xl/media/x{i}.xml", b"<x/>") for i in range(number)]
    return zip_bytes(members)


# --- the public verification page -----------------------------------------------------------


def table_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        name: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for name, model in (("audit", AuditEntry), ("berita_acara", BeritaAcara))
    }


def verify(client, ba: BeritaAcara, data: bytes) -> str:
    response = client.post(
        f"/verifikasi/{ba.verify_code}",
        data={"pdf": (io.BytesIO(data), "ba.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("declare_size", [False, True], ids=["undeclared", "declared"])
def test_a_pdf_bomb_is_refused_on_the_verification_page(client, locked, declare_size):
    _meeting, ba = locked
    before = table_counts()
    page = verify(client, ba, pdf_bomb(declare_size=declare_size))
    assert "Tidak asli" in page
    assert "PDF ini tidak memiliki tanda tangan digital." in page
    assert table_counts() == before


def test_the_bomb_itself_is_never_inflated_beyond_the_limit():
    for declare_size in (False, True):
        data = pdf_bomb(inflated=256 * MIB, declare_size=declare_size)
        assert read_embedded(data)[0] is None
        with pytest.raises(InflationRefused) as refused:
            read_embedded(data, refuse_too_large=True)
        assert refused.value.too_large


def test_an_attached_list_over_the_limit_is_refused_with_its_reason(client, locked, monkeypatch):
    """The portal's own signature is checked first; even a genuine file's list is read with a
    cap (here lowered below the real list's size)."""
    _meeting, ba = locked
    monkeypatch.setattr("portal.blueprints.berita_acara.rendering.embedded.EMBEDDED_MAX_BYTES", 100)
    page = verify(client, ba, ba.pdf)
    assert "Tidak asli" in page and TOO_LARGE_PDF in page


def test_a_genuine_pdf_is_still_read(locked):
    _meeting, ba = locked
    embedded, _info = read_embedded(ba.pdf, refuse_too_large=True)
    assert embedded is not None and canonical.sha256_hex(embedded) == ba.sha256


def test_flask_ba_verify_refuses_a_pdf_bomb(runner, locked, tmp_path):
    path = tmp_path / "bom.pdf"
    path.write_bytes(pdf_bomb())
    result = runner.invoke(args=["ba", "verify", str(path)])
    assert result.exit_code == 1, result.output
    assert "HASIL: TIDAK ASLI" in result.output


# --- the register import --------------------------------------------------------------------


@pytest.fixture
def importer(client, app, auth, sekretaris) -> Importer:
    auth.login_as(sekretaris)
    return Importer(client, app)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: xlsx_bomb(), TOO_LARGE_XLSX),
        (lambda: xlsx_bomb(inflated=128 * MIB), TOO_LARGE_XLSX),
        (lambda: xlsx_bomb(inflated=64 * MIB, lie=True), TOO_LARGE_XLSX),
        (lambda: many_members_xlsx(reading.XLSX_MAX_MEMBERS + 1), TOO_LARGE_XLSX),
    ],
    ids=["a-gigabyte", "ratio", "declares-less-than-it-holds", "too-many-members"],
)
def test_an_xlsx_bomb_is_refused_in_the_preview(importer, make, expected):
    response = importer.upload(make(), DESA_PASAR_IPUH, "prelist.xlsx")
    assert response.status_code == 302
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = importer.page(import_id)
    assert page.status_code == 200
    text = text_of(page)
    assert expected in text
    assert "Register tidak berubah" in text
    assert "Konfirmasi dan simpan" not in text
    assert importer.record(import_id).status == "failed"
    confirmed = importer.client.post(
        f"/keluarga/impor/{import_id}/konfirmasi", follow_redirects=True
    )
    assert confirmed.status_code == 200
    assert counts() == {"households": 0, "persons": 0, "events": 0}


def test_declared_sizes_refuse_before_anything_is_inflated(monkeypatch):
    """The central directory alone refuses a member that declares too much."""
    data = xlsx_bomb(inflated=16 * MIB)
    inflated = []
    monkeypatch.setattr(reading.inflation, "member_chunks", lambda *a, **k: inflated.append(a))
    monkeypatch.setattr(reading, "XLSX_MAX_MEMBER_BYTES", 8 * MIB)
    with pytest.raises(reading.FileProblem, match=TOO_LARGE_XLSX):
        reading.read_table(data)
    assert inflated == []


# --- memory, measured in a child process ----------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import resource, sys
    from portal import create_app
    from tests.conftest import base_config

    kind, path, database = sys.argv[1:4]
    app = create_app(base_config("sqlite:///" + database))
    data = open(path, "rb").read()
    with app.test_request_context():
        if kind == "pdf":
            from portal.blueprints.berita_acara import signing
            from portal.blueprints.berita_acara.rendering.embedded import read_embedded
            from portal.inflation import InflationRefused

            checked = signing.check_pdf(data, [])
            assert checked.readable and not checked.signatures, checked
            try:
                read_embedded(data, refuse_too_large=True)
                outcome = "read"
            except InflationRefused:
                outcome = "refused"
        else:
            from portal.blueprints.register.reading import FileProblem, read_table

            try:
                read_table(data)
                outcome = "read"
            except FileProblem as problem:
                outcome = "refused: " + problem.message
    # ru_maxrss keeps, across exec, the peak of the process that forked us (pytest, which
    # just built the bomb); VmHWM is the peak of this program's own memory since exec.
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = open("/proc/self/status").read()
    hwm_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(outcome, len(data), round(hwm_mb), round(maxrss_mb))
    """
)


def peak_rss(kind: str, data: bytes, tmp_path: Path) -> tuple[str, int]:
    path = tmp_path / f"bomb.{kind}"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(path), str(tmp_path / "child.sqlite")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    *outcome, size, peak, _maxrss_with_parent = done.stdout.split("\n")[-2].split(" ")
    assert int(size) == len(data)
    return " ".join(outcome), int(peak)


@pytest.mark.parametrize("padding", [0, 49 * MIB], ids=["1MB", "50MB"])
def test_a_pdf_bomb_costs_bounded_memory(tmp_path, padding):
    outcome, peak = peak_rss("pdf", pdf_bomb(padding=padding), tmp_path)
    assert outcome == "refused"
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak} MB"


@pytest.mark.parametrize("padding", [0, 47 * MIB], ids=["1MB", "50MB"])
def test_an_xlsx_bomb_costs_bounded_memory(tmp_path, padding):
    outcome, peak = peak_rss("xlsx", xlsx_bomb(padding=padding), tmp_path)
    assert outcome.startswith("refused: " + TOO_LARGE_XLSX)
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak} MB"


def test_a_lying_xlsx_bomb_costs_bounded_memory(tmp_path):
    outcome, peak = peak_rss("xlsx", xlsx_bomb(lie=True), tmp_path)
    assert outcome.startswith("refused: " + TOO_LARGE_XLSX)
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak} MB"
