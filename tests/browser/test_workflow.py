"""The whole workflow in Chromium, as its users do it: the admin imports a prelist, the secretary
runs the meeting (invite, check in, propose, decide by consensus, tally and named vote, lock,
download, upload the scan), the camat confirms, the operator downloads and marks, and the public
verification page tells the genuine PDF from a modified one. Then the core steps without
JavaScript."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.blueprints.berita_acara.services import of_meeting
from portal.blueprints.entry.models import EntryMark
from portal.blueprints.meetings import services
from portal.blueprints.meetings.models import Meeting, Proposal
from portal.blueprints.regions.models import Region
from portal.blueprints.register.models import ACTIVE, Household
from portal.demo import synthetic
from portal.extensions import db
from tests.browser.test_foundation_browser import _login
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO, KEC_IPUH, make_user
from tests.meetings.conftest import register, sekretaris  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

FAMILIES = 12
# A new family proposed at the meeting (valid Pasar Ipuh numbers, absent from the prelist).
KK_NEW = "1706052006260001"
NIK_NEW_HEAD = "1706050101900001"
NIK_NEW_CHILD = "1706054101150002"
VOTERS = ("Suharto", "Bu Ketua BPD", "Pak Tokoh")
NON_VOTER = "Pendamping PKH"
# The village's own day (Pasar Ipuh keeps WIB): opening on another day than the scheduled one
# needs a confirmation, and from 17:00 UTC the UTC date is the day before WIB's.
TODAY = datetime.now(ZoneInfo("Asia/Jakarta")).date()
NUMBER = f"007/MUSDES/{TODAY:%m}/{TODAY:%Y}"
LONG = 60_000  # ms: PDF generation and signing run inside the request


@contextmanager
def _signed_in(browser, base: str, username: str, **context_args) -> Iterator[Page]:
    """A browser of its own for one user (its own cookies), logged in."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_args)
    try:
        context.set_default_timeout(15_000)
        page = context.new_page()
        _login(page, base, username)
        yield page
    finally:
        context.close()


def _flash(page: Page):
    return page.locator("#pesan")


# --- the admin -----------------------------------------------------------------------------


def _prelist(tmp_path: Path) -> Path:
    villages = synthetic.villages_from_regions([db.session.get(Region, DESA_PASAR_IPUH)])
    rows, _ = synthetic.generate(villages, families_per_village=FAMILIES, seed=23)
    return synthetic.write(rows, tmp_path / "prelist-pasar-ipuh.csv", "csv")


def admin_imports_the_prelist(page: Page, path: Path) -> None:
    page.get_by_role("link", name="Impor", exact=True).click()
    page.get_by_label("Wilayah tujuan").select_option(DESA_PASAR_IPUH)
    page.get_by_label("Berkas ekspor register").set_input_files(str(path))
    page.get_by_role("button", name="Unggah dan periksa").click()
    expect(page.get_by_role("heading", name="Pratinjau")).to_be_visible()
    page.get_by_role("button", name="Konfirmasi dan simpan").click()
    expect(page.get_by_role("heading", name="Hasil impor")).to_be_visible()


# --- the secretary -------------------------------------------------------------------------


def secretary_creates_and_schedules(page: Page) -> int:
    page.get_by_role("link", name="Musyawarah", exact=True).click()
    page.get_by_role("button", name="Buat musyawarah").click()
    page.get_by_label("Nomor berita acara").fill(NUMBER)
    page.get_by_label("Tanggal").fill(TODAY.isoformat())
    page.get_by_label("Jam mulai").fill("09:00")
    page.get_by_label("Tempat").fill("Balai Desa Pasar Ipuh")
    page.get_by_label("Agenda").fill("Pemutakhiran DTSEN")
    page.get_by_label("Pimpinan musyawarah").fill("Suharto")
    page.get_by_label("Notulen", exact=True).fill("Sekretaris Desa")
    page.get_by_label("Periode register (TTTT-BB)").fill(f"{TODAY:%Y-%m}")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("MUSDES Pasar Ipuh")
    expect(page.locator("hgroup .badge")).to_have_text("draf")
    meeting_id = int(re.search(r"/musyawarah/(\d+)$", page.url).group(1))

    page.get_by_role("link", name="Peserta & kehadiran").click()
    for name, unsur, votes in (
        (VOTERS[0], "Kepala desa/lurah", True),
        (VOTERS[1], "BPD / LPM", True),
        (VOTERS[2], "Tokoh masyarakat", True),
        (NON_VOTER, "Pendamping PKH", False),
    ):
        invite = page.locator("details", has=page.get_by_text("Undang peserta"))
        if invite.get_attribute("open") is None:
            invite.locator("summary").click()
        invite.get_by_label("Nama", exact=True).fill(name)
        invite.get_by_label("Unsur").select_option(label=unsur)
        invite.get_by_label("Memiliki hak suara").set_checked(votes)
        invite.get_by_role("button", name="Undang").click()
        expect(page.locator("table.participants tr", has_text=name)).to_be_visible()
    expect(page.locator("#ringkasan-rapat")).to_contain_text("0/3 pemilih undangan hadir")
    non_voter_row = page.locator("table.participants tr", has_text=NON_VOTER)
    expect(non_voter_row.locator("td").nth(3)).to_have_text("tidak")

    page.get_by_role("link", name="Ringkasan").click()
    page.get_by_role("button", name="Jadwalkan").click()
    expect(_flash(page)).to_contain_text("Status musyawarah: terjadwal.")
    page.get_by_role("button", name="Buka musyawarah").click()
    expect(_flash(page)).to_contain_text("Status musyawarah: sedang berlangsung.")
    return meeting_id


def secretary_checks_people_in(page: Page) -> None:
    page.get_by_role("link", name="Peserta & kehadiran").click()
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    summary = page.locator("#ringkasan-rapat")
    expect(summary).to_contain_text("kuorum belum tercapai (perlu 2)")
    for n, name in enumerate((*VOTERS, NON_VOTER), start=1):
        row = page.locator("table.participants tr", has_text=name)
        row.get_by_role("button", name=re.compile("Catat hadir")).click()
        expect(row.get_by_role("button", name=re.compile("Hadir"))).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(summary).to_contain_text(f"{n} hadir")
    expect(summary).to_contain_text("3/3 pemilih undangan hadir")
    expect(summary).to_contain_text("kuorum tercapai")
    expect(summary).to_contain_text("4 hadir, 3 berhak suara")
    assert page.evaluate("window.__marker") == 1  # every tap answered in place


def _proposal_ids(page: Page) -> set[str]:
    return set(page.locator("ol.proposals > li.proposal").evaluate_all("els => els.map(e => e.id)"))


def _pick_family(page: Page, link: str) -> str:
    """On the prelist page, follow `link` of the first family not proposed yet; its head's name."""
    page.get_by_role("button", name="Usulkan keluar / perbaikan").click()
    row = page.locator("#pilih-keluarga tbody tr", has=page.get_by_role("link", name=link)).first
    head = row.locator("td").first.inner_text().strip()
    row.get_by_role("link", name=link).click()
    return head


def _new_proposal(page: Page, before: set[str]) -> str:
    after = _proposal_ids(page)
    (added,) = after - before
    return added


def secretary_records_proposals(page: Page) -> dict[str, tuple[str, str]]:
    """Three removals, a correction and a new family: {role: (element id, family head)}."""
    page.get_by_role("link", name="Usulan & keputusan").click()
    expect(page.get_by_text("Belum ada usulan.")).to_be_visible()
    made: dict[str, tuple[str, str]] = {}
    for key, reason, text in (
        ("meninggal", "Meninggal", None),
        ("sudah_mampu", "Sudah mampu", None),
        ("lainnya", "Lainnya", "Rumah sudah permanen dan punya toko"),
    ):
        before = _proposal_ids(page)
        head = _pick_family(page, "Usulkan keluar")
        expect(page.get_by_role("heading", name="Usulan keluar")).to_be_visible()
        page.get_by_label("Alasan keluar").select_option(label=reason)
        if text:
            page.get_by_label("Alasan lain").fill(text)
        page.get_by_label("Diusulkan oleh").select_option(label="RT/RW")
        page.get_by_label("Nama pengusul").fill("Ketua RT 001")
        page.get_by_role("button", name="Simpan usulan").click()
        expect(_flash(page)).to_contain_text("Usulan keluar dicatat.")
        made[key] = (_new_proposal(page, before), head)

    before = _proposal_ids(page)
    head = _pick_family(page, "Perbaikan")
    expect(page.get_by_role("heading", name="Usulan perbaikan data")).to_be_visible()
    page.get_by_label("RT", exact=True).fill("7")
    page.get_by_label("Diusulkan oleh").select_option(label="Warga")
    page.get_by_role("button", name="Simpan usulan").click()
    expect(_flash(page)).to_contain_text("Usulan perbaikan dicatat.")
    made["perbaikan"] = (_new_proposal(page, before), head)

    before = _proposal_ids(page)
    page.get_by_role("button", name="Usulkan keluarga baru").click()
    page.get_by_label("No. KK").fill(KK_NEW)
    page.get_by_label("Alamat").fill("Jl. Baru No. 1")
    page.get_by_label("RT", exact=True).fill("003")
    page.get_by_label("RW", exact=True).fill("001")
    page.get_by_label("Anggota keluarga").fill(
        f"{NIK_NEW_HEAD}; Andi Baru; KEPALA KELUARGA\n{NIK_NEW_CHILD}; Sari Baru; ANAK"
    )
    page.get_by_label("Diusulkan oleh").select_option(label="Pendamping")
    page.get_by_role("button", name="Simpan usulan").click()
    expect(_flash(page)).to_contain_text("Usulan keluarga baru dicatat.")
    made["baru"] = (_new_proposal(page, before), "Andi Baru")

    expect(page.locator("#ringkasan-rapat")).to_contain_text("0/5 usulan diputuskan")
    reason_text = page.locator(f"#{made['lainnya'][0]}")
    expect(reason_text).to_contain_text("Lainnya: Rumah sudah permanen dan punya toko")
    return made


def _vote_button(item, choice: str, voter: str):
    # The voter's name is in a visually hidden span: "Setuju : Suharto" to a screen reader.
    return item.get_by_role("button", name=re.compile(rf"^{choice}\s*: {re.escape(voter)}$"))


def secretary_decides(page: Page, made: dict[str, tuple[str, str]]) -> None:
    summary = page.locator("#ringkasan-rapat")
    page.evaluate("window.__marker = 2")

    # Musyawarah mufakat.
    item = page.locator(f"#{made['meninggal'][0]}")
    item.get_by_role("button", name="Mufakat").click()
    expect(item.locator(".outcome")).to_have_text(re.compile(r"Diterima\s+\(mufakat\)"))
    expect(summary).to_contain_text("1/5 usulan diputuskan")

    # A show of hands.
    item = page.locator(f"#{made['sudah_mampu'][0]}")
    item.get_by_label("Setuju", exact=True).fill("2")
    item.get_by_label("Tidak setuju").fill("1")
    item.get_by_label("Abstain").fill("0")
    item.get_by_role("button", name="Catat hitungan suara").click()
    expect(item.locator(".outcome")).to_contain_text(
        "Diterima (suara: 2 setuju, 1 tidak setuju, 0 abstain dari 3 pemilih hadir)"
    )
    expect(summary).to_contain_text("2/5 usulan diputuskan")

    # A named vote: each present voter's choice; one yes of three is no majority.
    item = page.locator(f"#{made['lainnya'][0]}")
    item.get_by_role("button", name="Pemungutan suara bernama").click()
    voters = item.locator("ul.voters > li")
    expect(voters).to_have_count(3)  # present voters only: the non-voter is not asked
    expect(item.get_by_text("Pendamping PKH")).to_have_count(0)
    for voter, choice, counts in (
        (VOTERS[0], "Setuju", "1 setuju, 0 tidak setuju, 0 abstain"),
        (VOTERS[1], "Tidak", "1 setuju, 1 tidak setuju, 0 abstain"),
        (VOTERS[2], "Abstain", "1 setuju, 1 tidak setuju, 1 abstain"),
    ):
        _vote_button(item, choice, voter).click()
        expect(item).to_contain_text(f"Suara bernama: {counts}")
    expect(item).to_contain_text("Suara bernama: 1 setuju, 1 tidak setuju, 1 abstain")
    # A voter changes their mind before the vote closes: still one vote each.
    _vote_button(item, "Abstain", VOTERS[1]).click()
    expect(item).to_contain_text("Suara bernama: 1 setuju, 0 tidak setuju, 2 abstain")
    item.get_by_role("button", name="Tutup pemungutan suara").click()
    expect(item.locator(".outcome")).to_contain_text(
        "Ditolak (suara: 1 setuju, 0 tidak setuju, 2 abstain dari 3 pemilih hadir)"
    )
    expect(summary).to_contain_text("3/5 usulan diputuskan")
    assert page.evaluate("window.__marker") == 2

    # The rest at once.
    page.get_by_role("button", name="Putuskan semua usulan tanpa keberatan (mufakat)").click()
    # Many families at once: a page says how many first (issue 15.5).
    expect(page.get_by_text("Keputusan ini menetapkan 2 keluarga sekaligus.")).to_be_visible()
    page.get_by_role("button", name="Ya, putuskan 2 keluarga").click()
    expect(_flash(page)).to_contain_text("2 usulan tanpa keberatan diputuskan secara mufakat.")
    expect(summary).to_contain_text("5/5 usulan diputuskan")
    for key in ("perbaikan", "baru"):
        expect(page.locator(f"#{made[key][0]} .outcome")).to_contain_text("Diterima")
    # 12 families: 2 leave, 1 corrected, the family whose removal was rejected stays.
    expect(summary).to_contain_text("9 tetap")
    expect(summary).to_contain_text("keluar 2")
    expect(summary).to_contain_text("baru 1")
    expect(summary).to_contain_text("perbaikan 1")


def secretary_locks_and_uploads(page: Page, tmp_path: Path) -> tuple[Path, str]:
    """Decide, generate and lock the berita acara, download it, upload the scan. Returns the PDF
    and the public verification address."""
    page.get_by_role("link", name="Ringkasan").click()
    page.get_by_role("button", name="Tetapkan keputusan").click()
    expect(_flash(page)).to_contain_text("Status musyawarah: diputuskan.")
    page.get_by_role("link", name="Daftar keputusan").click()
    expect(page.get_by_text("Andi Baru").first).to_be_visible()
    page.get_by_role("link", name="Ringkasan").click()

    panel = page.locator("#berita-acara")
    page.evaluate("window.__marker = 3")
    panel.get_by_role("button", name="Buat berita acara dan kunci musyawarah").click()
    # The job runs at once in tests; otherwise the panel polls every 2 s until it is done.
    expect(panel).to_contain_text(
        "Berita acara sudah dikunci dan ditandatangani secara digital.", timeout=LONG
    )
    assert page.evaluate("window.__marker") == 3
    page.reload()
    expect(page.locator("hgroup .badge")).to_have_text("dikunci")
    expect(page.locator("#konfirmasi")).to_contain_text("Menunggu konfirmasi camat")

    with page.expect_download() as download_info:
        panel.get_by_role("button", name="Unduh PDF berita acara").click()
    download = download_info.value
    assert download.suggested_filename.startswith("berita-acara-")
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    verify_url = panel.locator("a[href*='/verifikasi/']").get_attribute("href")

    scan = tmp_path / "pindaian.jpg"  # the signed paper, scanned
    Image.new("RGB", (60, 80), "white").save(scan, "JPEG")
    expect(panel).to_contain_text("Belum ada pindaian.")
    panel.get_by_label("Pindaian berita acara yang ditandatangani").set_input_files(str(scan))
    panel.get_by_role("button", name="Unggah pindaian").click()
    expect(_flash(page)).to_contain_text("Pindaian berita acara tersimpan.")
    expect(panel).to_contain_text("Tersimpan")
    expect(panel.get_by_role("link", name="Unduh pindaian")).to_be_visible()
    return pdf, verify_url


# --- the camat, the operator, the public ---------------------------------------------------


def camat_confirms(page: Page) -> None:
    page.get_by_role("link", name="Konfirmasi", exact=True).click()
    row = page.locator("tr", has_text=NUMBER)
    expect(row).to_contain_text("Pasar Ipuh")
    expect(row.locator("td").nth(4)).to_have_text("ada")  # the scan is there
    row.get_by_role("link", name=NUMBER).click()
    counts = page.locator("table.counts")
    expect(counts.locator("tr", has_text="Tetap")).to_contain_text("9")
    expect(counts.locator("tr", has_text="Keluar")).to_contain_text("2")
    expect(counts.locator("tr", has_text="Usulan ditolak")).to_contain_text("1")
    page.get_by_label("Catatan (tidak wajib)").fill("Hadir di lokasi.")
    page.get_by_role("button", name="Konfirmasi musyawarah").click()
    expect(_flash(page)).to_contain_text("Musyawarah dikonfirmasi.")
    expect(page.locator(".review-outcome")).to_contain_text("Dikonfirmasi")


def operator_downloads_and_marks(page: Page, tmp_path: Path) -> tuple[str, str]:
    """Returns the heads of the family marked entered and of the one SIKS-NG rejected."""
    page.get_by_role("link", name="Entri SIKS-NG").click()
    page.locator("tr", has_text=NUMBER).get_by_role("link", name=NUMBER).click()
    progress = page.locator("#kemajuan-entri")
    expect(progress).to_contain_text(f"0 / {FAMILIES + 1} keluarga ditandai")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Daftar keputusan (XLSX)").click()
    xlsx = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(xlsx)
    workbook = load_workbook(xlsx, read_only=True)
    assert {"Tetap", "Keluar", "Baru", "Perbaikan"} <= set(workbook.sheetnames)
    new_rows = list(workbook["Baru"].iter_rows(values_only=True))
    assert any(NIK_NEW_HEAD in [str(v) for v in row] for row in new_rows[1:])

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Daftar keputusan (CSV)").click()
    text = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=_delimiter(text)))
    assert {row["keputusan"] for row in rows} == {"tetap", "keluar", "baru", "perbaikan"}
    kks = {row["nomor_kk"].lstrip("'") for row in rows}
    assert len(kks) == FAMILIES + 1

    page.evaluate("window.__marker = 4")
    rows = page.locator("#daftar-keluarga tbody tr[id^='keluarga-']")
    entered, rejected = rows.nth(0), rows.nth(1)
    entered_head = entered.locator("td").nth(1).inner_text().strip()
    rejected_head = rejected.locator("td").nth(1).inner_text().strip()
    entered.get_by_role("button", name=re.compile("^Dientri")).click()
    expect(entered.locator(".entry-status")).to_have_text("dientri")
    expect(progress).to_contain_text(f"1 / {FAMILIES + 1} keluarga ditandai")
    rejected.get_by_placeholder("Alasan jika ditolak").fill("NIK tidak padan Dukcapil")
    rejected.get_by_role("button", name=re.compile("^Ditolak")).click()
    expect(rejected.locator(".entry-status")).to_contain_text("ditolak")
    expect(rejected.locator(".entry-status")).to_contain_text("NIK tidak padan Dukcapil")
    expect(progress).to_contain_text(f"2 / {FAMILIES + 1} keluarga ditandai")
    assert page.evaluate("window.__marker") == 4
    return entered_head, rejected_head


def _delimiter(text: str) -> str:
    header = text.splitlines()[0]
    return ";" if header.count(";") > header.count(",") else ","


def _flip_middle_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


def the_public_checks_the_pdf(page: Page, base: str, verify_url: str, pdf: Path) -> None:
    page.goto(verify_url if verify_url.startswith("http") else base + verify_url)
    expect(page.get_by_role("heading", name="Verifikasi berita acara")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text(NUMBER)
    expect(page.locator("dl.facts")).to_contain_text("dikonfirmasi camat")

    page.get_by_label("Berkas PDF").set_input_files(str(pdf))
    page.get_by_role("button", name="Periksa").click()
    expect(page.locator("#hasil")).to_contain_text(
        "Asli: berkas ini adalah berita acara ini, tidak diubah.", timeout=LONG
    )

    modified = pdf.with_name("berita-acara-diubah.pdf")
    modified.write_bytes(_flip_middle_byte(pdf.read_bytes()))
    page.get_by_label("Berkas PDF").set_input_files(str(modified))
    page.get_by_role("button", name="Periksa").click()
    expect(page.locator("#hasil")).to_contain_text(
        "Tidak asli: berkas ini bukan berita acara ini dalam bentuk aslinya.", timeout=LONG
    )


@pytest.mark.usefixtures("regions")
def test_the_whole_workflow_in_the_browser(live_server, browser, tmp_path) -> None:
    make_user("admin", KAB_MUKOMUKO, username="admin.uji")
    make_user("sekretaris", DESA_PASAR_IPUH, username="sekdes.uji")
    make_user("camat", KEC_IPUH, username="camat.uji")
    make_user("operator", DESA_PASAR_IPUH, username="operator.uji")
    prelist = _prelist(tmp_path)

    with _signed_in(browser, live_server, "admin.uji") as page:
        admin_imports_the_prelist(page, prelist)

    with _signed_in(browser, live_server, "sekdes.uji") as page:
        meeting_id = secretary_creates_and_schedules(page)
        secretary_checks_people_in(page)
        made = secretary_records_proposals(page)
        secretary_decides(page, made)
        pdf, verify_url = secretary_locks_and_uploads(page, tmp_path)

    with _signed_in(browser, live_server, "camat.uji") as page:
        camat_confirms(page)

    with _signed_in(browser, live_server, "operator.uji") as page:
        entered_head, rejected_head = operator_downloads_and_marks(page, tmp_path)

    anonymous = browser.new_context()
    try:
        the_public_checks_the_pdf(anonymous.new_page(), live_server, verify_url, pdf)
    finally:
        anonymous.close()

    # What the database holds.
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting_id)
    assert meeting.state == "confirmed"
    marks = {
        db.session.get(Household, mark.household_id).head.name: mark
        for mark in db.session.execute(
            select(EntryMark).where(EntryMark.meeting_id == meeting_id)
        ).scalars()
    }
    assert {name: mark.status for name, mark in marks.items()} == {
        entered_head: "entered",
        rejected_head: "rejected",
    }
    assert marks[rejected_head].reason == "NIK tidak padan Dukcapil"
    proposals = {
        p.id: p
        for p in db.session.execute(
            select(Proposal).where(Proposal.meeting_id == meeting_id)
        ).scalars()
    }
    by_key = {key: proposals[int(element.split("-")[1])] for key, (element, _) in made.items()}
    assert [by_key[k].method for k in made] == ["mufakat", "tally", "named", "batch", "batch"]
    assert [by_key[k].accepted for k in ("meninggal", "sudah_mampu", "lainnya")] == [
        True,
        True,
        False,
    ]
    assert by_key["lainnya"].reason_text == "Rumah sudah permanen dan punya toko"
    # The camat's confirmation moved the register: two families left, one came in.
    for key, status in (("meninggal", "removed"), ("sudah_mampu", "removed"), ("lainnya", ACTIVE)):
        assert by_key[key].household.status == status
    new_family = db.session.execute(select(Household).where(Household.kk == KK_NEW)).scalar_one()
    assert new_family.status == ACTIVE
    assert by_key["perbaikan"].household.rt in ("7", "007")
    # What was downloaded and uploaded is what the portal keeps.
    ba = of_meeting(meeting_id)
    assert ba.pdf == pdf.read_bytes()
    assert ba.scan == (tmp_path / "pindaian.jpg").read_bytes()
    assert ba.scan_mimetype == "image/jpeg"
    db.session.rollback()


# --- without JavaScript ----------------------------------------------------------------------


def build_in_session(
    user, households: list[Household], *, present: bool = False, named_vote: bool = False
) -> tuple[Meeting, list[Proposal]]:
    """A meeting in session (through the services): three voters and a non-voter invited,
    checked in if `present`, and three removals open; with `named_vote` (needs `present`) the
    third one is put to a named vote."""
    meeting = services.create_meeting(
        DESA_PASAR_IPUH,
        services.MeetingData(
            number=NUMBER,
            meeting_date=TODAY,
            start_time=time(9, 0),
            place="Balai Desa Pasar Ipuh",
            agenda="Pemutakhiran DTSEN",
            chair_name=VOTERS[0],
            notulen_name="Sekretaris Desa",
            period=f"{TODAY:%Y-%m}",
        ),
        user=user,
    )
    for name, unsur, votes in (
        (VOTERS[0], "kepala_desa", True),
        (VOTERS[1], "bpd_lpm", True),
        (VOTERS[2], "tokoh_masyarakat", True),
        (NON_VOTER, "pendamping_pkh", False),
    ):
        services.add_participant(
            meeting, services.ParticipantData(name=name, unsur=unsur, votes=votes), user=user
        )
    services.move(meeting, "schedule", user=user)
    services.move(meeting, "open", user=user, confirm_other_day=True)
    if present:
        for participant in list(meeting.participants):
            services.check_in(meeting, participant, user=user)
    proposals = [
        services.add_removal(
            meeting,
            household,
            reason=reason,
            reason_text=None,
            proposer="rt_rw",
            proposer_name="Ketua RT 001",
            note=None,
            user=user,
        )
        for household, reason in zip(
            households, ("meninggal", "sudah_mampu", "pindah"), strict=False
        )
    ]
    if named_vote:
        services.open_named_vote(meeting, proposals[2], user=user)
    db.session.commit()
    return meeting, proposals


def test_the_core_steps_without_javascript(live_server, no_js, sekretaris, register) -> None:
    meeting, proposals = build_in_session(sekretaris, register)
    base = f"{live_server}/musyawarah/{meeting.id}"
    _login(no_js, live_server, sekretaris.username)

    # Check-in: each tap posts the form and comes back to the list.
    no_js.goto(f"{base}/peserta")
    summary = no_js.locator("#ringkasan-rapat")
    expect(summary).to_contain_text("0/3 pemilih undangan hadir")
    for n, name in enumerate((*VOTERS, NON_VOTER), start=1):
        row = no_js.locator("table.participants tr", has_text=name)
        row.get_by_role("button", name=re.compile("Catat hadir")).click()
        no_js.wait_for_url(f"{base}/peserta")
        expect(row.get_by_role("button", name=re.compile("Hadir"))).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(summary).to_contain_text(f"{n} hadir")
    expect(summary).to_contain_text("3/3 pemilih undangan hadir · kuorum tercapai")
    # A tap undone: the voter leaves, the count follows.
    row = no_js.locator("table.participants tr", has_text=VOTERS[2])
    row.get_by_role("button", name=re.compile("Hadir")).click()
    expect(row.get_by_role("button", name=re.compile("Catat hadir"))).to_be_visible()
    expect(summary).to_contain_text("2/3 pemilih undangan hadir")
    row.get_by_role("button", name=re.compile("Catat hadir")).click()
    expect(summary).to_contain_text("3/3 pemilih undangan hadir")

    # Consensus.
    no_js.get_by_role("link", name="Usulan & keputusan").click()
    first, second, third = (no_js.locator(f"#usulan-{p.id}") for p in proposals)
    first.get_by_role("button", name="Mufakat").click()
    no_js.wait_for_url(re.compile(rf"/usulan#usulan-{proposals[0].id}$"))
    expect(first.locator(".outcome")).to_have_text(re.compile(r"Diterima\s+\(mufakat\)"))

    # A tally beyond the present voters is refused, a right one decides.
    second.get_by_label("Setuju", exact=True).fill("3")
    second.get_by_label("Tidak setuju").fill("1")
    second.get_by_role("button", name="Catat hitungan suara").click()
    expect(no_js.locator("#pesan")).to_contain_text(
        "Jumlah suara (4) melebihi peserta berhak suara yang hadir (3)."
    )
    expect(second.locator(".outcome")).to_have_count(0)
    second.get_by_label("Setuju", exact=True).fill("1")
    second.get_by_label("Tidak setuju").fill("2")
    second.get_by_role("button", name="Catat hitungan suara").click()
    expect(second.locator(".outcome")).to_contain_text(
        "Ditolak (suara: 1 setuju, 2 tidak setuju, 0 abstain dari 3 pemilih hadir)"
    )

    # A named vote.
    third.get_by_role("button", name="Pemungutan suara bernama").click()
    for voter, choice, counts in (
        (VOTERS[0], "Setuju", "1 setuju, 0 tidak setuju, 0 abstain"),
        (VOTERS[1], "Setuju", "2 setuju, 0 tidak setuju, 0 abstain"),
        (VOTERS[2], "Tidak", "2 setuju, 1 tidak setuju, 0 abstain"),
    ):
        _vote_button(third, choice, voter).click()
        expect(third).to_contain_text(f"Suara bernama: {counts}")
    third.get_by_role("button", name="Tutup pemungutan suara").click()
    expect(third.locator(".outcome")).to_contain_text(
        "Diterima (suara: 2 setuju, 1 tidak setuju, 0 abstain dari 3 pemilih hadir)"
    )
    expect(summary).to_contain_text("3/3 usulan diputuskan")

    # Decide the meeting.
    no_js.get_by_role("link", name="Ringkasan").click()
    no_js.get_by_role("button", name="Tetapkan keputusan").click()
    expect(no_js.locator("#pesan")).to_contain_text("Status musyawarah: diputuskan.")
    expect(no_js.locator("hgroup .badge")).to_have_text("diputuskan")

    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).state == "decided"
    decided = [db.session.get(Proposal, p.id) for p in proposals]
    assert [(p.method, p.accepted) for p in decided] == [
        ("mufakat", True),
        ("tally", False),
        ("named", True),
    ]
    db.session.rollback()
