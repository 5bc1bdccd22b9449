"""Decompression bombs in a PDF's structure (issue 16.1): a cross-reference stream or an object
stream that inflates to a gigabyte, read by pyHanko before any signature is known, and a bomb
appended after a genuine signature. Each is refused as unreadable or not genuine, and reading it
costs bounded memory (measured in a child process, as a worker would spend it)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pikepdf
import pytest

from tests.berita_acara.conftest import (  # noqa: F401  (fixtures)
    decided,
    invite,
    locked,
    meeting_data,
    register,
    sekretaris,
    users,
)
from tests.security.test_bombs import (
    GIB,
    MIB,
    ROOT,
    RSS_LIMIT_MB,
    deflate_bomb,
    table_counts,
    verify,
)

UNREADABLE = "PDF rusak atau tidak dapat dibaca."


def _xref_row(kind: int, field: int, generation: int) -> bytes:
    return bytes([kind]) + field.to_bytes(4, "big") + generation.to_bytes(2, "big")


def _comment_padding(padding: int) -> bytes:
    return b"% " + os.urandom(padding // 2).hex().encode() + b"\n" if padding else b""


def object_stream_bomb(*, inflated: int = GIB, padding: int = 0) -> bytes:
    """The catalog lives in an object stream of `inflated` bytes (a catalog, then spaces)."""
    head, catalog = b"3 0 ", b"<< /Type /Catalog /Pages 4 0 R >>"
    compressed, _size, _crc = deflate_bomb(
        b" " * MIB, inflated // MIB, wbits=15, prefix=head + catalog
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + _comment_padding(padding))
    stm = len(out)
    out += b"1 0 obj\n<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n" % (
        len(head),
        len(compressed),
    )
    out += b"stream\n" + compressed + b"\nendstream\nendobj\n"
    pages = len(out)
    out += b"4 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    xref = len(out)
    rows = b"".join(
        [
            _xref_row(0, 0, 65535),
            _xref_row(1, stm, 0),
            _xref_row(1, xref, 0),
            _xref_row(2, 1, 0),
            _xref_row(1, pages, 0),
        ]
    )
    out += b"2 0 obj\n<< /Type /XRef /Size 5 /W [1 4 2] /Root 3 0 R /Length %d >>\n" % len(rows)
    out += b"stream\n" + rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def xref_stream_bomb(*, inflated: int = GIB, padding: int = 0) -> bytes:
    """A cross-reference stream of three rows followed by `inflated` bytes of zeros."""
    out = bytearray(b"%PDF-1.7\n" + _comment_padding(padding))
    catalog = len(out)
    out += b"1 0 obj\n<< /Type /Catalog /Pages 3 0 R >>\nendobj\n"
    pages = len(out)
    out += b"3 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    xref = len(out)
    rows = b"".join(
        [
            _xref_row(0, 0, 65535),
            _xref_row(1, catalog, 0),
            _xref_row(1, xref, 0),
            _xref_row(1, pages, 0),
        ]
    )
    row_block = b"\x00" * (7 * 149796)  # whole rows, about 1 MiB
    compressed, _size, _crc = deflate_bomb(
        row_block, inflated // len(row_block), wbits=15, prefix=rows
    )
    out += b"2 0 obj\n<< /Type /XRef /Size 4 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
    out += b"/Length %d >>\nstream\n" % len(compressed) + compressed
    out += b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def bomb_after_signature(signed: bytes, *, inflated: int = GIB) -> bytes:
    """A genuine signed PDF with an incremental update: its first page's content becomes a
    stream inflating to `inflated` bytes."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    compressed, _size, _crc = deflate_bomb(b" " * MIB, inflated // MIB, wbits=15)
    stream = generic.StreamObject(
        {generic.NameObject("/Filter"): generic.NameObject("/FlateDecode")},
        encoded_data=compressed,
    )
    page = writer.root["/Pages"]["/Kids"][0]
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("make", [object_stream_bomb, xref_stream_bomb], ids=["objstm", "xref"])
def test_a_structure_bomb_is_unreadable_on_the_verification_page(client, locked, make):
    _meeting, ba = locked
    before = table_counts()
    page = verify(client, ba, make())
    assert "Tidak asli" in page
    assert UNREADABLE in page
    assert table_counts() == before


def test_a_plain_object_stream_is_still_read():
    """The limits refuse bombs, not object streams: the same file without its spaces reads."""
    from portal.blueprints.berita_acara import signing

    checked = signing.check_pdf(object_stream_bomb(inflated=0), [])
    assert checked.readable and checked.signatures == []


def test_a_bomb_appended_after_the_signature_is_not_genuine(client, locked):
    _meeting, ba = locked
    page = verify(client, ba, bomb_after_signature(ba.pdf))
    assert "Tidak asli" in page
    assert "Ada tambahan pada PDF setelah tanda tangan terakhir." in page


# --- memory, measured in a child process ----------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys
    from portal.blueprints.berita_acara import signing

    data = open(sys.argv[1], "rb").read()
    checked = signing.check_pdf(data, [])
    outcome = "readable" if checked.readable else "unreadable"
    if checked.unsigned_tail:
        outcome += "+tail"
    status = open("/proc/self/status").read()
    hwm_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(outcome, len(data), round(hwm_mb))
    """
)


def peak(data: bytes, tmp_path: Path) -> tuple[str, int]:
    path = tmp_path / "bomb.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome, size, high_water = done.stdout.split("\n")[-2].split(" ")
    assert int(size) == len(data)
    return outcome, int(high_water)


@pytest.mark.parametrize("padding", [0, 49 * MIB], ids=["1MB", "50MB"])
@pytest.mark.parametrize("make", [object_stream_bomb, xref_stream_bomb], ids=["objstm", "xref"])
def test_a_structure_bomb_costs_bounded_memory(tmp_path, make, padding):
    outcome, high_water = peak(make(padding=padding), tmp_path)
    assert outcome == "unreadable"
    assert high_water < RSS_LIMIT_MB, f"peak RSS {high_water} MB"


def test_a_bomb_after_the_signature_costs_bounded_memory(tmp_path, locked):
    _meeting, ba = locked
    outcome, high_water = peak(bomb_after_signature(ba.pdf), tmp_path)
    assert outcome == "readable+tail"
    assert high_water < RSS_LIMIT_MB, f"peak RSS {high_water} MB"


def test_the_bomb_files_are_sound_pdfs():
    """Guards the premise: read without limits (pikepdf), each smaller bomb is a sound PDF whose
    catalog is found through the bombed stream, so refusing it is the limit's doing."""
    for make in (object_stream_bomb, xref_stream_bomb):
        with pikepdf.open(io.BytesIO(make(inflated=32 * MIB))) as pdf:
            assert pdf.Root.Pages.Count == 0
