"""The hand-signed scan of the berita acara: when it may be uploaded, and what may be uploaded.

When: while the meeting is locked and the camat has not reviewed it. The scan is what the camat
looks at; once the camat has confirmed or returned the meeting, the scan they saw stays as it
is (a returned meeting is corrected by an addendum meeting, with its own berita acara and scan).

What: a PDF, a JPEG or a PNG, recognised by its content (never its name) and opened. A scan is
paper: a PDF that carries JavaScript or other active content (actions that run, launch, submit
or open something, attached files, rich media, XFA forms) is refused, so that nobody who opens
it later (the camat, the operator, the dinas) runs anything. The PDF is walked as a reader sees
it, with pikepdf from its trailer: names written with #hex escapes (`/J#61vaScript`) read as the
name they spell, and objects packed in compressed object streams are read like any other.

The work is bounded. The upload is capped (BA_SCAN_MAX_BYTES, and MAX_CONTENT_LENGTH before it);
qpdf inflates a PDF's object and cross-reference streams itself, without a limit of its own, so
before pikepdf opens the file every deflate stream in it is inflated here in chunks, counted and
thrown away: a file whose streams would inflate beyond SCAN_PDF_MAX_INFLATED is refused unread.
Filters whose output that count cannot see (LZW, run-length, ASCII hex/85 in front of a deflate
stream, two deflate layers, a filter given by reference) and encrypted files are refused too:
a scan needs none of them. The walk then runs in a child process with bounded memory and time
(`portal/pdf_walk.py`: qpdf keeps every object it parses). An image
is checked by its header: its pixel count is bounded before anything could decode it.
"""

from __future__ import annotations

import io
import re
import zlib

from flask_babel import gettext as _

from portal import pdf_walk
from portal.blueprints.berita_acara.models import DONE, BeritaAcara
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.refusal import Refused

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG"}

#: A page scanned at 600 dpi is 35 megapixels (A4), a phone photo 12 to 50.
SCAN_MAX_PIXELS = 64_000_000
#: All the deflate streams of a PDF scan together. Scanners and phones write JPEG pages, which
#: count for nothing here; a page kept lossless inflates to 1 MB (black and white, 300 dpi) to
#: 9 MB (grey) or 26 MB (colour), a deflate bomb of 10 MB to gigabytes. Kept low because qpdf
#: holds ~70 bytes per token of the object syntax it parses (8 MB of `1 1 1 …` in an object
#: stream: 0.5 GB); a lossless scan beyond it is refused with the advice to upload a photo.
SCAN_PDF_MAX_INFLATED = 64 * 1024 * 1024

#: Filters qpdf decodes whose output the deflate count cannot see, and encryption.
UNCOUNTED_FILTERS = frozenset(
    {
        b"LZWDecode",
        b"LZW",
        b"RunLengthDecode",
        b"RL",
        b"ASCIIHexDecode",
        b"AHx",
        b"ASCII85Decode",
        b"A85",
        b"Crypt",
    }
)
DEFLATE_FILTERS = frozenset({b"FlateDecode", b"Fl"})

_CHUNK = 64 * 1024
_STREAM = re.compile(rb"(?<!end)stream")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_BLANK = re.compile(rb"[\x00\t\n\x0c\r ]*")
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
#: More than a scan has (a few per page): beyond, the file is refused, not read key by key.
_MAX_KEYS = 20_000


def _key(name: str) -> re.Pattern[bytes]:
    """The name as a file may write it: any of its characters as #xx (`/F#69lter`)."""
    pattern = "/"
    for char in name:
        hex_digits = "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{ord(char):02x}")
        pattern += f"(?:{re.escape(char)}|#{hex_digits})"
    return re.compile((pattern + r"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%])").encode())


_FILTER_KEY = _key("Filter")
_ENCRYPT_KEY = _key("Encrypt")


class ScanRefused(Refused):
    """The scan may not be uploaded now, or this file is not one."""


# --- when ------------------------------------------------------------------------------------


def upload_refusal(meeting: Meeting, ba: BeritaAcara | None) -> str | None:
    """Why no scan may be uploaded for this meeting now; None while it may."""
    if ba is None or ba.status != DONE:
        return _("Buat dan kunci berita acara dulu, lalu unggah pindaiannya.")
    # The camat's review moves the meeting to confirmed or returned in its own transaction (and
    # the database refuses a confirmed meeting without its confirming review): the state says.
    if meeting.state == states.CONFIRMED:
        return _(
            "Pindaian tidak dapat diganti: camat sudah mengonfirmasi musyawarah ini, dan "
            "pindaian yang diperiksanya tetap tersimpan apa adanya."
        )
    if meeting.state == states.RETURNED:
        return _(
            "Pindaian tidak dapat diganti: camat sudah mengembalikan musyawarah ini, dan "
            "pindaian yang diperiksanya tetap tersimpan apa adanya. Perbaiki lewat musyawarah "
            "adendum."
        )
    if meeting.state != states.LOCKED:
        return _(
            "Pindaian tidak dapat diganti: musyawarah berstatus %(state)s.",
            state=meeting.state_label,
        )
    return None


# --- what ------------------------------------------------------------------------------------


def check_file(data: bytes, *, max_bytes: int) -> str:
    """The scan's type (PDF, JPEG or PNG) once its content passes; ScanRefused otherwise."""
    if not data:
        raise ScanRefused(_("Pilih berkas pindaian."))
    if len(data) > max_bytes:
        raise ScanRefused(
            _("Berkas terlalu besar: paling besar %(mb)d MB.", mb=max_bytes // (1024 * 1024))
        )
    mimetype = next((kind for magic, kind in MAGIC if data.startswith(magic)), None)
    if mimetype == PDF:
        _check_pdf(data)
    elif mimetype is not None:
        _check_image(data, mimetype)
    else:
        raise unreadable()
    return mimetype


def unreadable() -> ScanRefused:
    return ScanRefused(
        _("Berkas harus PDF, JPEG atau PNG yang dapat dibuka (isi berkas diperiksa).")
    )


def active_content() -> ScanRefused:
    return ScanRefused(
        _(
            "Pindaian PDF berisi JavaScript atau isi aktif; cetak ulang ke PDF atau unggah "
            "foto (JPG/PNG)"
        )
    )


def too_complex() -> ScanRefused:
    return ScanRefused(
        _(
            "Pindaian PDF tidak dapat diperiksa (terenkripsi, terlalu besar setelah "
            "diekstrak, atau memakai pemadatan yang tidak lazim); cetak ulang ke PDF atau "
            "unggah foto (JPG/PNG)."
        )
    )


def _check_image(data: bytes, mimetype: str) -> None:
    """The header says what the magic bytes said, the pixel count is bounded (Pillow reads the
    header only), and the file holds together (verify: chunks and checksums, no decoding)."""
    from PIL import Image

    try:
        # Pillow itself refuses twice its MAX_IMAGE_PIXELS (and warns above it, which is more
        # than SCAN_MAX_PIXELS): the bound below is the one that counts.
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[mimetype]]) as image:
            if image.width * image.height > SCAN_MAX_PIXELS:
                raise too_many_pixels()
            image.verify()
    except Image.DecompressionBombError as error:
        raise too_many_pixels() from error
    except ScanRefused:
        raise
    except Exception as error:  # unreadable content is simply not accepted
        raise unreadable() from error


def too_many_pixels() -> ScanRefused:
    return ScanRefused(
        _(
            "Gambar terlalu besar: paling banyak %(mp)d megapiksel. Perkecil resolusinya, lalu "
            "unggah lagi.",
            mp=SCAN_MAX_PIXELS // 1_000_000,
        )
    )


def _check_pdf(data: bytes) -> None:
    _check_filters(data)
    _count_inflation(data)
    # pikepdf's walk runs in a child process with bounded memory and time (portal/pdf_walk.py).
    verdict = pdf_walk.check(data)
    if verdict in (pdf_walk.ENCRYPTED, pdf_walk.TOO_COMPLEX):
        raise too_complex()
    if verdict == pdf_walk.ACTIVE:
        raise active_content()
    if verdict != pdf_walk.PLAIN:
        raise unreadable()


def _check_filters(data: bytes) -> None:
    """Every stream's filters, read from the raw file (stream dictionaries are never inside
    object streams), are ones the deflate count sees whole: at most one deflate layer, none of
    UNCOUNTED_FILTERS, none given by reference. No encryption (its streams look random)."""
    if _ENCRYPT_KEY.search(data):
        raise too_complex()
    for count, key in enumerate(_FILTER_KEY.finditer(data)):
        if count >= _MAX_KEYS:
            raise too_complex()
        names = _filter_names(data, key.end())
        if names is None or UNCOUNTED_FILTERS.intersection(names):
            raise too_complex()
        if len(names) > 4 or sum(name in DEFLATE_FILTERS for name in names) > 1:
            raise too_complex()


def _filter_names(text: bytes, position: int) -> list[bytes] | None:
    """The names of a /Filter value at `position`: one name or an array of names; None for
    anything else (an indirect reference, a damaged value)."""
    position = _skip_blank(text, position)
    if text[position : position + 1] == b"/":
        return [_name_at(text, position)]
    if text[position : position + 1] != b"[":
        return None
    names: list[bytes] = []
    position += 1
    while True:
        position = _skip_blank(text, position)
        head = text[position : position + 1]
        if head == b"]":
            return names
        if head != b"/" or len(names) > 4:
            return None
        names.append(_name_at(text, position))
        name = _NAME.match(text, position)
        assert name is not None  # head is "/": _NAME matches there
        position = name.end()


def _skip_blank(text: bytes, position: int) -> int:
    """Past white space (a comment inside a filter value is refused, not skipped: no writer
    puts one there, and skipping each to its line's end could read the file once per key)."""
    blank = _BLANK.match(text, position)
    assert blank is not None  # `*`: matches at any position
    return blank.end()


def _name_at(text: bytes, position: int) -> bytes:
    """The name starting with the solidus at `position`, without it, #xx escapes read."""
    found = _NAME.match(text, position)
    assert found is not None  # called at a "/": _NAME matches there
    name = found.group(1)
    return (
        _NAME_ESCAPE.sub(lambda escape: bytes([int(escape[1], 16)]), name) if b"#" in name else name
    )


def _count_inflation(data: bytes) -> None:
    """Every deflate stream of the file, inflated in chunks and thrown away: refused when they
    would produce more than SCAN_PDF_MAX_INFLATED together, or read far more than the file (a
    stream hidden in another's bytes). A stream's data follows its `stream` keyword; qpdf
    inflates only data that starts with a zlib header, and such data never starts with white
    space, so every candidate is found."""
    view = memoryview(data)
    produced = consumed = 0
    max_consumed = 2 * len(data) + 16 * _CHUNK
    for count, keyword in enumerate(_STREAM.finditer(data)):
        if count >= 5 * _MAX_KEYS:
            raise too_complex()
        start = _skip_blank(data, keyword.end())
        if not _zlib_header(data[start : start + 2]):
            continue
        inflater = zlib.decompressobj()
        position, pending, size = start, b"", 1024  # a small first read: most fail at once
        piece: bytes | memoryview
        try:
            while not inflater.eof:
                if pending:
                    piece = pending
                elif position < len(view):
                    piece = view[position : position + size]
                    position += len(piece)
                    size = _CHUNK
                else:
                    break
                out = inflater.decompress(piece, _CHUNK)
                pending = inflater.unconsumed_tail
                produced += len(out)
                if produced > SCAN_PDF_MAX_INFLATED:
                    raise too_complex()
        except zlib.error:
            pass  # damaged: qpdf stops there too
        consumed += position - start - len(pending) - len(inflater.unused_data)
        if consumed > max_consumed:
            raise too_complex()


def _zlib_header(head: bytes) -> bool:
    return (
        len(head) == 2
        and head[0] & 0x0F == 8
        and head[0] >> 4 <= 7
        and ((head[0] << 8) | head[1]) % 31 == 0
    )
