"""The scan PDF's walk runs in a child process with bounded memory (portal/pdf_walk.py): a file
whose objects alone would cost the worker most of a gigabyte (qpdf keeps ~70 bytes an item) is
refused by the child's limit, and the worker never holds it."""

from __future__ import annotations

import io

import pikepdf

from portal import pdf_walk


def plain_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def test_a_plain_pdf_is_plain():
    assert pdf_walk.check(plain_pdf()) == pdf_walk.PLAIN


def test_javascript_on_opening_is_active():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")
    )
    buffer = io.BytesIO()
    pdf.save(buffer)
    assert pdf_walk.check(buffer.getvalue()) == pdf_walk.ACTIVE


def test_junk_is_unreadable():
    assert pdf_walk.check(b"%PDF-1.4\nthis is not a pdf") == pdf_walk.UNREADABLE


def test_millions_of_objects_hit_the_childs_memory_limit_not_the_workers():
    """8 MB of `1 1 1 …` in one array: read in-process it costs ~800 MB and reads as plain; in
    the child the address-space limit (256 MB) stops it, and the answer is a refusal."""
    raw = plain_pdf().replace(
        b"/Type /Catalog", b"/Type /Catalog /Junk [" + b"1 " * (4 * 1024 * 1024) + b"]", 1
    )
    assert len(raw) > 8_000_000
    assert pdf_walk.check(raw) in (pdf_walk.TOO_COMPLEX, pdf_walk.UNREADABLE)
