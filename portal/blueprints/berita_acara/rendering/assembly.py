"""Assembly: the rendered parts merged into one PDF (pikepdf), page furniture laid over every
page, then the docinfo, the outline and `keputusan.json` attached.

The parts carry no page furniture. Two overlays go over every page: one page that is the same
everywhere (`_frame_pdf`: footer rule, BA number, short hash, QR code to the verify URL, the
draft watermark), shared as one form XObject, and a cheap document of one page per page with
only the running head and "Halaman X dari Y" (`_numbers_pdf`, the heads from
`_running_heads`). The reading side of the attachment is `embedded`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from io import BytesIO
from typing import Any

import pikepdf
import segno
from flask_babel import gettext as _

from portal.blueprints.berita_acara.rendering.embedded import ATTACHMENT_NAME
from portal.blueprints.berita_acara.rendering.parts import Part, css, render_template
from portal.blueprints.berita_acara.rendering.weasy import _Gc, _write_pdf
from portal.blueprints.berita_acara.rendering.workers import RenderError


@cache
def _qr_data_uri(url: str) -> str:
    return segno.make(url, error="m", micro=False).png_data_uri(scale=4, border=0)


def _frame_pdf(ba: dict[str, Any]) -> bytes:
    """One page: what every page's margins carry alike (footer rule, BA number, short hash,
    QR code, the draft watermark). Laid over every page as one shared form XObject."""
    html = render_template(
        "berita_acara/pdf/overlay_frame.html",
        ba=ba,
        css=css("overlay"),
        title="frame",
        qr=_qr_data_uri(ba["verify_url"]),
    )
    buffer = BytesIO()
    _write_pdf(html, buffer)
    return buffer.getvalue()


def _numbers_pdf(ba: dict[str, Any], heads: Sequence[str | None]) -> bytes:
    """One page per page: the running head and "Halaman X dari Y" (the only things that differ
    from page to page). Plain flow, no positioning: ~5 ms a page."""
    html = render_template(
        "berita_acara/pdf/overlay_pages.html",
        ba=ba,
        css=css("overlay"),
        title="pages",
        heads=heads,
        total=len(heads),
    )
    buffer = BytesIO()
    with _Gc():
        _write_pdf(html, buffer)
    return buffer.getvalue()


def _page_count(pdf: bytes) -> int:
    with pikepdf.open(BytesIO(pdf)) as document:
        return len(document.pages)


def _merge(parts: Sequence[bytes]) -> tuple[pikepdf.Pdf, list[int], list[pikepdf.Pdf]]:
    merged = pikepdf.new()
    sources = []
    counts = []
    for data in parts:
        source = pikepdf.open(BytesIO(data))
        sources.append(source)
        counts.append(len(source.pages))
        merged.pages.extend(source.pages)
    return merged, counts, sources


def _lay_over(merged: pikepdf.Pdf, frame: bytes, numbers: bytes) -> list[pikepdf.Pdf]:
    frame_pdf = pikepdf.open(BytesIO(frame))
    numbers_pdf = pikepdf.open(BytesIO(numbers))
    if len(numbers_pdf.pages) != len(merged.pages):
        raise RenderError(f"overlay has {len(numbers_pdf.pages)} pages for {len(merged.pages)}")
    shared = merged.copy_foreign(frame_pdf.pages[0].as_form_xobject())
    for page, over in zip(merged.pages, numbers_pdf.pages, strict=True):
        page.add_overlay(shared, pikepdf.Rectangle(page.mediabox))
        # No rectangle: the page's own (None, the default, which pikepdf's stub leaves out).
        page.add_overlay(over, None)
    return [frame_pdf, numbers_pdf]


def _finish(
    merged: pikepdf.Pdf,
    canonical: bytes,
    *,
    sha256: str,
    verify_url: str,
    ba: dict[str, Any],
    outline: list[tuple[str, int]],
) -> bytes:
    merged.attachments[ATTACHMENT_NAME] = pikepdf.AttachedFileSpec(
        merged,
        canonical,
        description=_("Daftar keputusan (JSON kanonik); SHA-256 %(hash)s", hash=sha256),
        filename=ATTACHMENT_NAME,
        mime_type="application/json",
        relationship=pikepdf.Name.Data,
    )
    merged.docinfo = merged.make_indirect(pikepdf.Dictionary())
    merged.docinfo["/Title"] = _(
        "Berita Acara %(meeting)s Nomor %(number)s",
        meeting=ba["meeting_title"],
        number=ba["number"],
    )
    merged.docinfo["/Subject"] = _(
        "Keputusan %(meeting)s tanggal %(date)s; SHA-256 daftar keputusan %(hash)s",
        meeting=ba["meeting_title"],
        date=ba["date_long"],
        hash=sha256,
    )
    merged.docinfo["/Creator"] = "Portal Musyawarah"
    merged.docinfo["/Producer"] = "Portal Musyawarah (WeasyPrint, pikepdf)"
    merged.docinfo["/PortalSha256"] = sha256
    merged.docinfo["/PortalVerification"] = verify_url
    merged.Root.Lang = pikepdf.String("id")
    with merged.open_outline() as tree:
        for label, page in outline:
            tree.root.append(pikepdf.OutlineItem(label, page))
    buffer = BytesIO()
    merged.save(buffer, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _running_heads(
    parts: Sequence[Part], counts: Sequence[int]
) -> tuple[list[str | None], list[tuple[str, int]], int]:
    """Per page: the running head (on an attachment's pages after its first); the outline
    (bookmarks); the number of attachment pages the planner expected."""
    heads: list[str | None] = []
    outline: list[tuple[str, int]] = []
    planned = 0
    position = 0
    for part, count in zip(parts, counts, strict=True):
        if part.kind == "front":
            outline.append((_("Berita Acara"), position))
            heads.extend([None] * count)
        elif part.kind == "hadir":
            label = _("Lampiran %(numeral)s", numeral="I")
            outline.append((f"{label}: {_('Daftar hadir')}", position))
            heads.append(None)
            heads.extend([_("%(label)s (lanjutan)", label=label)] * (count - 1))
        else:
            plan = part.pages
            planned += len(plan)
            for i in range(count):
                page = plan[min(i, len(plan) - 1)]
                label = _("Lampiran %(numeral)s", numeral=page.lampiran.numeral)
                if page.first and i < len(plan):
                    title = page.lampiran.title.capitalize()
                    outline.append((f"{label}: {title}", position + i))
                    heads.append(None)
                else:
                    heads.append(_("%(label)s (lanjutan)", label=label))
        position += count
    return heads, outline, planned
