"""A cheap berita acara PDF for the tests whose subject is not the PDF (tests/factories.py).

A real render (`pipeline.render_ba_pdf`, WeasyPrint) of build_decided's meeting takes 1.5-2.5 s;
`render_cheap_pdf` takes a few milliseconds. It has the same signature and returns the same
`RenderResult`, but its PDF is one A4 page with one line of text, built with pikepdf and finished
by the renderer's own `assembly._finish`: the attached `keputusan.json`, the docinfo (/Title,
/Subject, /PortalSha256, /PortalVerification), /Lang and the outline are made by the same code
as in a real render, from the same `context.build_context`. `tasks.generate` still signs it
with the real key (pyHanko, ~0.1 s), so verification checks a real signature over it.

What differs from a real render: the page content (no berita acara text, no attachments'
pages, no frame, QR code or page numbers), `pages` (1), `parts` (1), the outline (one entry,
"Berita Acara"). With the camat block, the page carries the link to `<verify_url>#konfirmasi-camat`
at the rectangle a real render puts it (there on page 2), so the camat's confirmation stamps
its box (`signing.camat_slot`) as it does on a real berita acara.

    with cheap_pdf():            # pipeline.render_ba_pdf is render_cheap_pdf inside
        ba_tasks.generate(ba.id)

A test that reads the PDF's text or pages, or its page count, needs the real one: see
tests/factories.py for the `real_pdf` marker and the lock helpers' `real_pdf` argument.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask_babel import gettext as _

if TYPE_CHECKING:
    from portal.blueprints.berita_acara.rendering.pipeline import RenderResult

# The rendering package (WeasyPrint: ~0.7 s to import) and pikepdf are imported at call time:
# tests/conftest.py imports this module through tests/factories.py for every test run.

#: A4 in points (pdf.css), as a real render's pages.
A4 = (595.275591, 841.889764)
#: Where a real render of build_decided's meeting puts the camat's box (on its second page).
CAMAT_BOX = (325.307087, 379.853935, 527.92126, 444.353935)
#: The one line of text on the page (Helvetica, WinAnsi: the number is ASCII).
LINE = "Berita acara {number}: PDF uji tanpa isi (tests/cheap_pdf.py)"


def render_cheap_pdf(
    canonical: bytes,
    *,
    sha256: str,
    verify_url: str,
    draft: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> RenderResult:
    """`render_ba_pdf`'s stand-in: one page, finished by the real `_finish` (needs an app
    context, as the real one does). `workers` is accepted and ignored."""
    import pikepdf

    from portal.blueprints.berita_acara.rendering.assembly import _finish
    from portal.blueprints.berita_acara.rendering.context import build_context
    from portal.blueprints.berita_acara.rendering.pipeline import RenderResult

    started = time.perf_counter()
    if progress is not None:
        progress(1)
    ba = build_context(json.loads(canonical), sha256=sha256, verify_url=verify_url, draft=draft)
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=A4)
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    text = LINE.format(number=ba["number"]).encode("cp1252", errors="replace")
    text = text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    page.obj.Contents = pdf.make_stream(b"BT /F1 11 Tf 56.7 785 Td (" + text + b") Tj ET")
    if ba["camat"]:
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=pikepdf.Array(CAMAT_BOX),
            Border=pikepdf.Array([0, 0, 0]),
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(ba["camat"]["slot"])),
        )
        # Indirect, as WeasyPrint writes it (pyHanko's diff check wants annotations by reference).
        page.obj.Annots = pikepdf.Array([pdf.make_indirect(link)])
    finish = time.perf_counter()
    data = _finish(
        pdf,
        canonical,
        sha256=sha256,
        verify_url=verify_url,
        ba=ba,
        outline=[(_("Berita Acara"), 0)],
    )
    if progress is not None:
        progress(100)
    now = time.perf_counter()
    return RenderResult(
        pdf=data,
        pages=1,
        seconds=now - started,
        parts=1,
        timings={"finish": round(now - finish, 4)},
    )


@contextmanager
def cheap_pdf() -> Iterator[None]:
    """Inside, `pipeline.render_ba_pdf` (where `tasks.generate` looks it up at call time) is
    `render_cheap_pdf`. A replacement a test put there itself (a failing or a slow renderer) is
    left in place: the test's own stand-in is what it tests."""
    from portal.blueprints.berita_acara.rendering import pipeline

    real = pipeline.render_ba_pdf
    where = (getattr(real, "__module__", None), getattr(real, "__qualname__", None))
    if where != (pipeline.__name__, "render_ba_pdf"):
        yield
        return
    pipeline.render_ba_pdf = render_cheap_pdf
    try:
        yield
    finally:
        pipeline.render_ba_pdf = real
