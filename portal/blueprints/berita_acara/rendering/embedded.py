"""`keputusan.json` in the PDF: the attachment's name, the docinfo keys, and reading both back
(`read_embedded`).

Reading runs on uploaded, untrusted PDFs (the verification page, `flask ba verify`), so it is
apart from the renderer and needs no WeasyPrint. The attachment is inflated with caps
(EMBEDDED_MAX_BYTES, EMBEDDED_MAX_RATIO), never with pikepdf's unbounded read_bytes; the caps
are read from this module at call time. The writing side is `assembly._finish`.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pikepdf

from portal import inflation

ATTACHMENT_NAME = "keputusan.json"
DOCINFO_KEYS = ("Title", "Subject", "PortalSha256", "PortalVerification")

#: The most `keputusan.json` may inflate to when read from a PDF (uploads are untrusted). The
#: largest real one, thousands of families with their members' decisions, is a few MB.
EMBEDDED_MAX_BYTES = 32 * 1024 * 1024
#: Canonical JSON deflates ~5-10× (NIKs, names); a deflate bomb ~1,000×.
EMBEDDED_MAX_RATIO = 100


def _embedded_bytes(spec: Any) -> bytes | None:
    """The attachment's bytes, inflated with caps (never pikepdf's unbounded read_bytes): only
    no filter or a plain /FlateDecode, as the portal writes it. Raises InflationRefused."""
    stream = spec.get_file().obj
    declared = stream.stream_dict.get("/Params", pikepdf.Dictionary()).get("/Size")
    if isinstance(declared, int) and declared > EMBEDDED_MAX_BYTES:
        raise inflation.too_large(f"declares {declared} bytes")
    filters = stream.stream_dict.get("/Filter")
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    if "/DecodeParms" in stream.stream_dict:
        return None
    raw = stream.read_raw_bytes()  # at most the upload's own size
    if filters is None:
        if len(raw) > EMBEDDED_MAX_BYTES:
            raise inflation.too_large(f"{len(raw)} bytes")
        return raw
    if filters != pikepdf.Name.FlateDecode:
        return None
    return inflation.inflate(raw, max_size=EMBEDDED_MAX_BYTES, max_ratio=EMBEDDED_MAX_RATIO)


def read_embedded(
    pdf: bytes, *, refuse_too_large: bool = False
) -> tuple[bytes | None, dict[str, str]]:
    """The attached `keputusan.json` (None when absent or unreadable) and those of the docinfo
    keys Title, Subject, PortalSha256, PortalVerification that are present. Never raises, but
    with `refuse_too_large` an attachment beyond EMBEDDED_MAX_BYTES (or inflating more than
    EMBEDDED_MAX_RATIO ×) raises InflationRefused instead of reading as None."""
    try:
        with pikepdf.open(BytesIO(pdf)) as source:
            info: dict[str, str] = {}
            docinfo = source.trailer.get("/Info")
            if isinstance(docinfo, pikepdf.Dictionary):
                for key in DOCINFO_KEYS:
                    value = docinfo.get("/" + key)
                    if isinstance(value, pikepdf.String):
                        info[key] = str(value)
            data = None
            try:
                spec = source.attachments.get(ATTACHMENT_NAME)
                if spec is not None:
                    data = _embedded_bytes(spec)
            except inflation.InflationRefused as refused:
                if refused.too_large and refuse_too_large:
                    raise
                data = None
            except Exception:
                data = None
            return data, info
    except inflation.InflationRefused:
        raise
    except Exception:
        return None, {}
