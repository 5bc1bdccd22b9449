"""The register as its users see it: upload → preview → confirm, then search as you type."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.demo import synthetic
from tests.browser.test_foundation_browser import SHOTS, _login, _page_is_not_wider_than_viewport
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def export_file(app, regions, tmp_path):
    from portal.blueprints.regions.models import Region
    from portal.extensions import db

    villages = synthetic.villages_from_regions([db.session.get(Region, DESA_PASAR_IPUH)])
    rows, _ = synthetic.generate(
        villages, families_per_village=30, seed=11, damage={"nik_scientific": 1}
    )
    return rows, synthetic.write(rows, tmp_path / "prelist-pasar-ipuh.csv", "csv")


def test_admin_imports_a_prelist_and_the_secretary_finds_a_family(
    live_server, desktop, phone, export_file
):
    rows, path = export_file
    make_user("admin", KAB_MUKOMUKO, username="admin.uji")
    make_user("sekretaris", DESA_PASAR_IPUH, username="sekdes.uji")

    _login(desktop, live_server, "admin.uji")
    desktop.get_by_role("link", name="Impor", exact=True).click()
    desktop.get_by_label("Wilayah tujuan").select_option(DESA_PASAR_IPUH)
    desktop.get_by_label("Berkas ekspor register").set_input_files(str(path))
    desktop.get_by_role("button", name="Unggah dan periksa").click()
    expect(desktop.get_by_role("heading", name="Pratinjau")).to_be_visible()
    expect(desktop.get_by_text("notasi ilmiah")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    desktop.screenshot(path=str(SHOTS / "import-preview-desktop.png"), full_page=True)
    desktop.get_by_role("button", name="Konfirmasi dan simpan").click()
    expect(desktop.get_by_role("heading", name="Hasil impor")).to_be_visible()

    _login(phone, live_server, "sekdes.uji")
    phone.get_by_role("link", name="Keluarga", exact=True).click()
    total = phone.locator("#jumlah-keluarga").text_content()
    assert "keluarga" in total
    phone.evaluate("window.__marker = 1")
    head = next(r for r in rows if r["hubungan_keluarga"] == "KEPALA KELUARGA")
    phone.get_by_label("Cari nama, NIK, No. KK atau RT/RW").fill(head["nomor_nik"][:12])
    expect(phone.locator("#jumlah-keluarga")).to_contain_text("1 keluarga cocok")
    assert phone.evaluate("window.__marker") == 1  # updated in place, no reload
    assert head["nomor_nik"][:12] not in phone.url  # the NIK stays out of the URL
    assert _page_is_not_wider_than_viewport(phone)
    phone.screenshot(path=str(SHOTS / "register-search-360.png"), full_page=True)


def test_search_works_without_javascript(live_server, no_js, app, export_file):
    rows, path = export_file
    from portal.blueprints.register import services
    from portal.blueprints.register.applying import apply_plan
    from portal.extensions import db

    analysis = services.analyse(path.read_bytes(), DESA_PASAR_IPUH)
    apply_plan(analysis.plan, import_id=None, user_id=None)
    db.session.commit()
    make_user("sekretaris", DESA_PASAR_IPUH, username="sekdes.uji")
    _login(no_js, live_server, "sekdes.uji")
    no_js.goto(f"{live_server}/keluarga/desa/{DESA_PASAR_IPUH}")
    head = next(r for r in rows if r["hubungan_keluarga"] == "KEPALA KELUARGA")
    no_js.get_by_label("Cari nama, NIK, No. KK atau RT/RW").fill(head["nomor_kk"])
    no_js.get_by_role("button", name="Cari").click()
    expect(no_js.locator("#jumlah-keluarga")).to_contain_text("1 keluarga cocok")
    assert head["nomor_kk"] not in no_js.url
