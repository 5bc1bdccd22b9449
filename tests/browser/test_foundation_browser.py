"""The login and home pages as a person sees them: on a phone, on a desktop, without JavaScript."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import KAB_MUKOMUKO, PASSWORD, make_user

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/portal-shots"))

pytestmark = pytest.mark.browser


def _page_is_not_wider_than_viewport(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.usefixtures("regions")
def test_admin_logs_in_on_a_phone_and_sees_home(live_server, phone):
    make_user("admin", KAB_MUKOMUKO, username="admin.uji", full_name="Admin Uji")
    phone.goto(f"{live_server}/masuk")
    assert _page_is_not_wider_than_viewport(phone)
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "login-360.png"), full_page=True)
    _login(phone, live_server, "admin.uji")
    assert phone.get_by_role("heading", name="Selamat datang, Admin Uji").is_visible()
    assert _page_is_not_wider_than_viewport(phone)
    phone.screenshot(path=str(SHOTS / "home-admin-360.png"), full_page=True)


@pytest.mark.usefixtures("regions")
def test_user_search_updates_without_reload(live_server, desktop):
    make_user("admin", KAB_MUKOMUKO, username="admin.uji", full_name="Admin Uji")
    make_user("camat", "170605", username="camat.ipuh", full_name="Camat Ipuh")
    _login(desktop, live_server, "admin.uji")
    desktop.goto(f"{live_server}/admin/pengguna/")
    desktop.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    desktop.get_by_label("Cari nama atau nama pengguna").fill("camat")
    expect(desktop.locator("#jumlah-pengguna")).to_contain_text("1 pengguna")
    assert desktop.evaluate("window.__marker") == 1
    assert desktop.locator("#tabel-pengguna").get_by_text("camat.ipuh").is_visible()
    assert "q=camat" in desktop.url
    desktop.screenshot(path=str(SHOTS / "users-desktop.png"), full_page=True)


@pytest.mark.usefixtures("regions")
def test_login_and_search_work_without_javascript(live_server, no_js):
    make_user("admin", KAB_MUKOMUKO, username="admin.uji", full_name="Admin Uji")
    make_user("camat", "170605", username="camat.ipuh", full_name="Camat Ipuh")
    _login(no_js, live_server, "admin.uji")
    no_js.goto(f"{live_server}/admin/pengguna/")
    no_js.get_by_label("Cari nama atau nama pengguna").fill("camat")
    no_js.get_by_role("button", name="Cari").click()
    no_js.wait_for_url("**q=camat**")
    assert no_js.locator("#jumlah-pengguna").text_content().strip() == "1 pengguna"
