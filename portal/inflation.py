"""Bounded inflation of untrusted compressed data: the `keputusan.json` attached to an uploaded
PDF, the members of an uploaded XLSX (a zip).

Deflate expands up to ~1,000×: a 1 MB upload can become 1 GB in memory (a "decompression
bomb"). Nothing from an upload is inflated here without an absolute cap and a ratio cap, and
the output comes in chunks, so a cap is enforced before the memory is spent, not after. Sizes a
file *declares* (a zip's central directory, a PDF's /Params /Size) are checked first, as they
cost nothing, but never trusted: the actual inflation is counted as well.

The helpers raise `InflationRefused`; each caller turns it into its own message for users.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator

#: Output produced per step: the most inflated data held at once by the inflater itself.
CHUNK = 64 * 1024

#: Below this much output a high ratio is harmless: a small, very repetitive part (a zip's
#: styles.xml, a short JSON) may compress 100× and still cost nothing.
RATIO_FREE_BYTES = 1024 * 1024

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # a zip member's local file header (30 bytes)
_CENTRAL_SIGNATURE = b"PK\x01\x02"


class InflationRefused(ValueError):
    """The data would inflate beyond a limit (`too_large`), or is not sound (`broken`)."""

    def __init__(self, reason: str, *, too_large: bool) -> None:
        super().__init__(reason)
        self.too_large = too_large


def too_large(reason: str) -> InflationRefused:
    return InflationRefused(reason, too_large=True)


def broken(reason: str) -> InflationRefused:
    return InflationRefused(reason, too_large=False)


def check_ratio(produced: int, consumed: int, max_ratio: float) -> None:
    if produced > RATIO_FREE_BYTES and produced > max_ratio * max(consumed, 1):
        raise too_large(f"compression ratio above {max_ratio:g}")


def inflate_chunks(
    compressed: bytes | memoryview,
    *,
    max_size: int,
    max_ratio: float,
    wbits: int = zlib.MAX_WBITS,
) -> Iterator[bytes]:
    """The inflated data of one complete deflate stream (zlib header by default; wbits=-15 for
    raw deflate as in zip), in chunks of at most CHUNK bytes. Raises InflationRefused as soon
    as the output passes `max_size` or `max_ratio` × the input consumed, or when the stream is
    truncated or damaged."""
    view = memoryview(compressed)
    inflater = zlib.decompressobj(wbits)
    position = produced = 0
    pending = b""
    data: bytes | memoryview
    try:
        while not inflater.eof:
            if pending:
                data = pending
            elif position < len(view):
                data = view[position : position + CHUNK]
                position += len(data)
            else:
                raise broken("deflate stream truncated")
            out = inflater.decompress(data, CHUNK)
            pending = inflater.unconsumed_tail
            produced += len(out)
            if produced > max_size:
                raise too_large(f"inflates beyond {max_size} bytes")
            check_ratio(produced, position - len(pending), max_ratio)
            if out:
                yield out
    except zlib.error as error:
        raise broken(f"deflate stream damaged: {error}") from error


def inflate(
    compressed: bytes | memoryview, *, max_size: int, max_ratio: float, wbits: int = zlib.MAX_WBITS
) -> bytes:
    """All of `inflate_chunks` (for data that is small once the caps hold)."""
    return b"".join(inflate_chunks(compressed, max_size=max_size, max_ratio=max_ratio, wbits=wbits))


# --- zip archives (XLSX) -----------------------------------------------------------------------


def open_zip(
    data: bytes,
    *,
    max_members: int,
    max_member_size: int,
    max_total_size: int,
    max_ratio: float,
) -> zipfile.ZipFile:
    """The archive, once its central directory passes the limits: the number of members, each
    member's declared size and ratio, the declared total. Nothing is inflated yet.
    Raises InflationRefused, or zipfile.BadZipFile for what is not a zip at all."""
    # zipfile parses every central-directory entry into an object before we see any: bound
    # their number first. Each entry starts with this signature, so there are no more entries
    # than occurrences (a chance occurrence in compressed data only makes this stricter).
    if data.count(_CENTRAL_SIGNATURE) > max_members:
        raise too_large(f"more than {max_members} members")
    archive = zipfile.ZipFile(io.BytesIO(data))  # shares `data`, no copy
    members = archive.infolist()
    if len(members) > max_members:
        raise too_large(f"more than {max_members} members")
    if len({info.filename for info in members}) != len(members):
        raise broken("a member name appears twice")
    total = 0
    for info in members:
        if info.file_size > max_member_size:
            raise too_large(f"{info.filename} declares {info.file_size} bytes")
        check_ratio(info.file_size, info.compress_size, max_ratio)
        total += info.file_size
    if total > max_total_size:
        raise too_large(f"members declare {total} bytes in all")
    return archive


def member_chunks(
    data: bytes, info: zipfile.ZipInfo, *, max_size: int, max_ratio: float
) -> Iterator[bytes]:
    """The inflated bytes of one member, counted on its own compressed bytes: the member must
    inflate to exactly its declared size (and CRC), within the caps. zipfile alone would stop at
    the declared size; another reader (calamine) might not, so a member that says 1 KB and
    inflates to 1 GB must be found here."""
    if info.flag_bits & 0x1:
        raise broken(f"{info.filename} is encrypted")
    start = info.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size:
        raise broken(f"{info.filename}: local header outside the file")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise broken(f"{info.filename}: bad local header")
    name_length, extra_length = fields[-2], fields[-1]
    begin = start + _LOCAL_HEADER.size + name_length + extra_length
    raw = memoryview(data)[begin : begin + info.compress_size]
    if len(raw) != info.compress_size:
        raise broken(f"{info.filename}: compressed data outside the file")
    limit = min(max_size, info.file_size)
    if info.compress_type == zipfile.ZIP_STORED:
        chunks: Iterator[bytes] = (bytes(raw[i : i + CHUNK]) for i in range(0, len(raw), CHUNK))
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        chunks = inflate_chunks(raw, max_size=limit, max_ratio=max_ratio, wbits=-zlib.MAX_WBITS)
    else:
        raise broken(f"{info.filename}: compression method {info.compress_type}")
    produced = crc = 0
    for chunk in chunks:
        produced += len(chunk)
        if produced > limit:
            raise too_large(f"{info.filename} inflates beyond {limit} bytes")
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if produced != info.file_size or crc != info.CRC:
        raise broken(f"{info.filename}: size or CRC differs from the declared")


def pdf_decode_limits():  # -> pyhanko.pdf_utils.decode_limits.DecodeLimits
    """What pyHanko may inflate while it reads an uploaded PDF's structure (cross-reference and
    object streams, signature dictionaries) before any signature is known to be the portal's.

    pyHanko's defaults (256 MiB per stream, a document budget of 100× the file) hold a 1 MB
    object-stream bomb to ~230 MB of memory; a berita acara's structure is a few hundred
    kilobytes, so these are tighter: 16 MiB per stream, ratio 100 beyond 1 MiB, and all streams
    together at most 64 MiB or 2× the file."""
    from pyhanko.pdf_utils.decode_limits import (
        DEFAULT_PURPOSE_LIMITS,
        DecodeLimits,
        DocumentDecodeBudget,
        StreamDecodeLimits,
    )

    return DecodeLimits(
        per_stream=StreamDecodeLimits(
            max_ratio=100, ratio_floor=RATIO_FREE_BYTES, max_output_size=16 * 1024 * 1024
        ),
        per_purpose=dict(DEFAULT_PURPOSE_LIMITS),
        document_budget=DocumentDecodeBudget(base_allowance=64 * 1024 * 1024, max_ratio=2),
    )
