"""The dashboard in Chromium: the kecamatan opens in place (htmx), the charts draw under the
Content-Security-Policy, the page fits a phone, and it works without JavaScript."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.review.conftest import (  # noqa: F401  (fixtures)
    confirmed,
    locked,
    register,
    sekretaris,
    users,
)

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/portal-shots"))

pytestmark = pytest.mark.browser


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/")


def _watch_console(page) -> list[str]:
    """Script errors, CSP refusals, and failed requests (the missing favicon aside)."""
    problems: list[str] = []

    def on_console(message) -> None:
        # A failed request is logged without its address; on_response judges those.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", on_response)
    return problems


def test_admin_opens_a_kecamatan_in_place(live_server, desktop, users, confirmed) -> None:
    problems = _watch_console(desktop)
    _login(desktop, live_server, users["admin"].username)
    desktop.goto(f"{live_server}/dasbor/")
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("Kabupaten Mukomuko")
    expect(desktop.locator("#grafik-musyawarah")).to_be_visible()
    desktop.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    desktop.locator('tr[data-kecamatan="170605"] a').click()
    expect(desktop.locator('tr[data-village="1706052006"]')).to_be_visible()
    assert desktop.evaluate("window.__marker") == 1
    assert "kecamatan=170605" in desktop.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    desktop.screenshot(path=str(SHOTS / "dashboard-kecamatan-desktop.png"), full_page=True)
    assert problems == []  # no CSP refusal, no script error


def test_camat_on_a_phone(live_server, phone, users, confirmed) -> None:
    _login(phone, live_server, users["camat"].username)
    phone.goto(f"{live_server}/dasbor/")
    expect(phone.locator('tr[data-village="1706052005"]')).to_contain_text("berisiko data beku")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "dashboard-camat-360.png"), full_page=True)


def test_period_filter_without_javascript(live_server, no_js, users, confirmed) -> None:
    _login(no_js, live_server, users["camat"].username)
    no_js.goto(f"{live_server}/dasbor/")
    no_js.locator("select#bulan").select_option("6")
    no_js.get_by_role("button", name="Tampilkan").click()
    no_js.wait_for_url("**bulan=6**")
    assert no_js.locator("#grafik-musyawarah rect.bar").count() == 6
