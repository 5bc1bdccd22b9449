"""The berita acara PDF: content, page numbers, the embedded decided list, nothing fetched,
parallel rendering the same as serial. Synthetic canonical documents, no database rows."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from io import BytesIO
from typing import Any

import pikepdf
import pytest

from portal.blueprints.berita_acara import wording
from portal.blueprints.berita_acara.canonical import canonical_bytes, sha256_hex, short_hash
from portal.blueprints.berita_acara.rendering import page_plan, weasy, workers
from portal.blueprints.berita_acara.rendering.context import build_context
from portal.blueprints.berita_acara.rendering.embedded import read_embedded
from portal.blueprints.berita_acara.rendering.lampiran import build_lampiran
from portal.blueprints.berita_acara.rendering.pipeline import RenderResult, render_ba_pdf
from portal.blueprints.berita_acara.rendering.weasy import FetchRefused, no_fetch
from portal.blueprints.berita_acara.rendering.workers import RenderError
from tests.berita_acara.synthetic import synthetic_document

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")

VERIFY = "https://portal.example.go.id/verifikasi/ab12cd34"


def render(doc: dict[str, Any], **options: Any) -> tuple[RenderResult, bytes, str]:
    data = canonical_bytes(doc)
    digest = sha256_hex(data)
    result = render_ba_pdf(data, sha256=digest, verify_url=VERIFY, **options)
    return result, data, digest


def pdf_pages_text(pdf: bytes) -> list[str]:
    """pdftotext of every page (form feeds split the pages), whitespace collapsed."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return [" ".join(page.split()) for page in pages]


def page_count(pdf: bytes) -> int:
    with pikepdf.open(BytesIO(pdf)) as document:
        return len(document.pages)


def assert_numbered(pages: list[str], total: int) -> None:
    assert len(pages) == total
    for number, text in enumerate(pages, 1):
        assert f"Halaman {number} dari {total}" in text, f"page {number}"
        assert "005/BA-MD/XI/2026" in text


def decided_families(doc: dict[str, Any]) -> list[dict[str, Any]]:
    families = doc["families"]
    return [f for kind in ("tetap", "keluar", "baru", "perbaikan") for f in families[kind]]


@pytest.fixture
def small_doc() -> dict[str, Any]:
    return synthetic_document(tetap=40, keluar=8, baru=3, perbaikan=4, rejected=2, participants=14)


def test_small_document_content(app, small_doc):
    result, _data, digest = render(small_doc, workers=1)
    pages = pdf_pages_text(result.pdf)
    text = " ".join(pages)
    assert result.pages == page_count(result.pdf) >= 6
    assert_numbered(pages, result.pages)
    assert short_hash(digest) in pages[-1]
    for family in decided_families(small_doc):
        assert family["kk"] in text
        assert family["head_name"] in text
    for family in small_doc["families"]["baru"]:
        for member in family["members"]:
            assert member["nik"] in text and member["name"] in text
    for row in small_doc["rejected"]:
        assert row["kk"] in text
    assert digest in text  # the full SHA-256, in the body
    assert (
        "Pada hari ini Senin tanggal dua puluh tiga bulan November tahun dua ribu dua puluh "
        "enam, bertempat di Balai Desa Pasar Ipuh, pukul 09.00 WIB" in text
    )
    assert "PEMERINTAH KABUPATEN MUKOMUKO KECAMATAN IPUH DESA PASAR IPUH" in text
    assert "BERITA ACARA MUSYAWARAH DESA PASAR IPUH" in text
    assert "Nomor: 005/BA-MD/XI/2026" in text
    assert "Undang-Undang Nomor 13 Tahun 2011 tentang Penanganan Fakir Miskin, Pasal 8" in text
    assert "Peraturan Menteri Sosial Nomor 3 Tahun 2021" in text
    assert "262/HUK/2022" in text
    assert "Mengetahui, Camat Ipuh" in text
    assert "Ketua BPD" in text and "Hj. Rosmawati" in text
    for lampiran in (
        "LAMPIRAN I ",
        "LAMPIRAN II ",
        "LAMPIRAN III ",
        "LAMPIRAN IV ",
        "LAMPIRAN V ",
        "LAMPIRAN VI ",
    ):
        assert lampiran in text
    assert "DRAF" not in text
    # Every attachment starts on a page of its own.
    starts = [i for i, page in enumerate(pages) if re.search(r"LAMPIRAN [IVX]+ BERITA", page)]
    assert len(starts) == 6 and len(set(starts)) == 6
    assert result.planned_pages == result.list_pages


def test_embedded_list_and_docinfo(app, small_doc):
    result, data, digest = render(small_doc, workers=1)
    embedded, info = read_embedded(result.pdf)
    assert embedded == data
    assert info["PortalSha256"] == digest
    assert info["PortalVerification"] == VERIFY
    assert "005/BA-MD/XI/2026" in info["Title"]
    assert digest in info["Subject"]
    with pikepdf.open(BytesIO(result.pdf)) as document:
        spec = document.attachments["keputusan.json"]
        assert spec.get_file().mime_type == "application/json"


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not a pdf", b"%PDF-1.7\n%%EOF", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer<<>>\n"],
)
def test_read_embedded_never_raises(garbage):
    assert read_embedded(garbage)[0] is None


def test_read_embedded_truncated_and_plain(app, small_doc):
    result, _data, _digest = render(small_doc, workers=1)
    assert read_embedded(result.pdf[: len(result.pdf) // 3])[0] is None
    plain = pikepdf.new()
    plain.add_blank_page()
    buffer = BytesIO()
    plain.save(buffer)
    assert read_embedded(buffer.getvalue()) == (None, {})


@pytest.mark.parametrize(
    ("code", "name", "zone"),
    [
        ("5171031006", "Dauh Puri", "WITA"),  # Kota Denpasar, Bali: a kelurahan
        ("9103012005", "Sentani Kota", "WIT"),  # Kabupaten Jayapura, Papua: a desa
    ],
)
def test_time_zone_in_the_opening(app, code, name, zone):
    doc = synthetic_document(
        tetap=3,
        keluar=1,
        baru=0,
        perbaikan=0,
        rejected=0,
        participants=6,
        village_code=code,
        village_name=name,
        meeting={
            "kabupaten_name": "Kota Denpasar" if code.startswith("51") else "Kabupaten Jayapura",
            "kecamatan_name": "Denpasar Barat" if code.startswith("51") else "Sentani",
            "province_name": "Bali" if code.startswith("51") else "Papua",
        },
    )
    result, _data, _digest = render(doc)
    text = " ".join(pdf_pages_text(result.pdf))
    assert f"pukul 09.00 {zone} sampai dengan selesai" in text
    if code[6] == "1":
        assert "PEMERINTAH KOTA DENPASAR KECAMATAN DENPASAR BARAT KELURAHAN DAUH PURI" in text
        assert "BERITA ACARA MUSYAWARAH KELURAHAN DAUH PURI" in text
        assert "Lurah Dauh Puri" in text
    else:
        assert "DESA SENTANI KOTA" in text and "Kepala Desa Sentani Kota" in text


def test_wording():
    assert wording.time_zone("1706052006") == "WIB"
    assert wording.time_zone("3273011001") == "WIB"
    assert wording.time_zone("6171011001") == "WIB"  # Kalimantan Barat
    assert wording.time_zone("6371011001") == "WITA"  # Kalimantan Selatan
    assert wording.time_zone("5101011006") == "WITA"
    assert wording.time_zone("7371011001") == "WITA"
    assert wording.time_zone("8171011001") == "WIT"
    assert wording.time_zone("9471011001") == "WIT"
    assert wording.date_in_words(date(2026, 11, 23)) == {
        "day": "Senin",
        "date": "dua puluh tiga",
        "month": "November",
        "year": "dua ribu dua puluh enam",
    }
    assert wording.date_in_words(date(2027, 1, 1))["date"] == "satu"
    assert wording.long_date(date(2026, 8, 17)) == "17 Agustus 2026"
    assert wording.clock("09:00") == "09.00"
    assert wording.period_label("2026-11") == "November 2026"
    assert wording.kabupaten_heading("Kota Solok", "1372") == "KOTA SOLOK"
    assert wording.kabupaten_heading("Mukomuko", "1706") == "KABUPATEN MUKOMUKO"
    assert wording.kabupaten_heading("Solok", "1372") == "KOTA SOLOK"
    assert wording.roman(4) == "IV" and wording.roman(6) == "VI"


def test_no_start_time_and_no_camat(app):
    doc = synthetic_document(
        tetap=2,
        keluar=0,
        baru=0,
        perbaikan=0,
        rejected=0,
        participants=4,
        meeting={"start_time": None, "camat_block": False, "agenda": "Satu.\nDua."},
    )
    result, _data, _digest = render(doc)
    text = " ".join(pdf_pages_text(result.pdf))
    assert "dua ribu dua puluh enam, bertempat di Balai Desa Pasar Ipuh, telah" in text
    assert "pukul" not in text
    assert "Mengetahui" not in text
    assert "Satu. Dua." in text


def test_fetcher_refuses_everything_but_data():
    with pytest.raises(FetchRefused):
        no_fetch("file:///etc/passwd")
    with pytest.raises(FetchRefused):
        no_fetch("https://example.com/logo.png")
    assert no_fetch("data:text/plain,ok").read() == b"ok"


def test_a_file_url_in_the_markup_fails_the_render():
    html = '<html><body><img src="file:///etc/passwd"/></body></html>'
    with pytest.raises(BaseException, match=r"passwd|fetch"):
        weasy._write_pdf(html, BytesIO())


def test_user_text_is_escaped(app):
    evil = '<img src="file:///etc/passwd"> & Co'
    doc = synthetic_document(
        tetap=2,
        keluar=0,
        baru=0,
        perbaikan=0,
        rejected=0,
        participants=4,
        extra_participants=[{"name": evil, "unsur": "tokoh_masyarakat", "position": "<b>x</b>"}],
    )
    doc["families"]["tetap"][0]["head_name"] = "ANI <script>alert(1)</script>"
    result, _data, _digest = render(doc)
    text = " ".join(pdf_pages_text(result.pdf))
    assert '<img src="file:///etc/passwd"> & Co' in text
    assert "ANI <script>alert(1)</script>" in text
    assert "root:x:0:0" not in text


def test_text_the_xml_parser_refuses_still_renders(app):
    doc = synthetic_document(tetap=2, keluar=0, baru=0, perbaikan=0, rejected=0, participants=4)
    doc["families"]["tetap"][0]["head_name"] = "SITI\x0bAMINAH"  # a control character
    result, _data, _digest = render(doc)
    assert "AMINAH" in " ".join(pdf_pages_text(result.pdf))


def test_draft_is_marked_on_every_page(app, small_doc):
    result, _data, _digest = render(small_doc, draft=True)
    pages = pdf_pages_text(result.pdf)
    assert all("DRAF — bukan dokumen resmi" in page for page in pages)


def test_progress_is_reported(app, small_doc):
    seen: list[int] = []
    render(small_doc, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 100 and len(seen) >= 4


def test_a_failing_part_fails_the_render(app, monkeypatch):
    """A part that fails in its forked child: the parent raises with the child's error."""
    doc = synthetic_document(tetap=320, keluar=0, baru=0, perbaikan=0, rejected=0)
    original = workers._write_pdf

    def broken(html, target):
        if "LAMPIRAN II" in html:
            raise RuntimeError("boom in the child")
        return original(html, target)

    monkeypatch.setattr(workers, "_write_pdf", broken)  # what the forked children call
    with pytest.raises(RenderError, match="boom in the child"):
        render(doc, workers=2)


def test_large_document_parallel_equals_serial(app):
    """600 families (and members) on 2 workers: the same pages as on 1, every family in it, the
    planner's page count exact even with wrapping names, numbering right on every page."""
    doc = synthetic_document(
        tetap=420, keluar=90, baru=40, perbaikan=50, rejected=6, participants=30, long_names=40
    )
    one, _data, _digest = render(doc, workers=1)
    two, _data, _digest = render(doc, workers=2)
    assert two.parts > 3
    assert one.pages == two.pages == page_count(two.pdf)
    pages_one, pages_two = pdf_pages_text(one.pdf), pdf_pages_text(two.pdf)
    assert pages_one == pages_two
    assert_numbered(pages_two, two.pages)
    text = " ".join(pages_two)
    for family in decided_families(doc):
        assert family["kk"] in text
    assert two.planned_pages == two.list_pages
    assert read_embedded(two.pdf)[0] == canonical_bytes(doc)


def test_numbering_stays_exact_when_the_plan_is_wrong(app, monkeypatch):
    """If WeasyPrint ever makes more pages than the planner expected (here: a planner told to
    fill pages far beyond their height), the page numbers are made again from the real count."""
    monkeypatch.setattr(page_plan, "PAGE_SLACK", -300.0)
    doc = synthetic_document(tetap=120, keluar=10, baru=2, perbaikan=2, rejected=0)
    result, _data, _digest = render(doc, workers=1)
    assert result.list_pages > result.planned_pages
    pages = pdf_pages_text(result.pdf)
    assert_numbered(pages, result.pages)
    text = " ".join(pages)
    for family in decided_families(doc):
        assert family["kk"] in text


def test_planner_keeps_a_new_family_with_its_members(app):
    doc = synthetic_document(tetap=0, keluar=0, baru=120, perbaikan=0, rejected=0)
    ba = build_context(doc, sha256="0" * 64, verify_url=VERIFY, draft=False)
    baru = next(lamp for lamp in build_lampiran(doc) if lamp.key == "baru")
    pages = page_plan.paginate(baru, ba)
    assert len(pages) > 3
    assert sum(len(page.rows) for page in pages) == len(baru.rows)
    for page in pages:
        assert not page.rows[0].follows  # every page starts with a family's own row
