"""The meeting on a phone (360 × 740): the meeting, check-in and voting pages fit the screen (the
page body never scrolls sideways) and their buttons can be reached and tapped without scrolling
sideways. Screenshots go to pytest's tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_foundation_browser import _login
from tests.browser.test_workflow import VOTERS, _vote_button, build_in_session
from tests.meetings.conftest import register, sekretaris  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

WIDTH = 360
MIN_TARGET = 24  # px, WCAG 2.2 "target size (minimum)"


def _no_sideways_scroll(page: Page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def _assert_fits(page: Page, shot: Path) -> None:
    page.screenshot(path=str(shot), full_page=True)
    scroll_width, inner_width = _no_sideways_scroll(page)
    assert inner_width == WIDTH
    assert scroll_width <= inner_width, f"{shot.name}: the page is {scroll_width}px wide"


def _tappable_on_screen(control: Locator) -> None:
    """Big enough, and inside the screen's width as the page first shows it: a table that has to
    be scrolled sideways to reach the button does not count (only vertical scrolling here)."""
    control.evaluate(
        """element => {
            for (let box = element.parentElement; box; box = box.parentElement) box.scrollLeft = 0;
            const top = element.getBoundingClientRect().top + window.scrollY;
            window.scrollTo(0, Math.max(0, top - window.innerHeight / 2));
        }"""
    )
    box = control.bounding_box()
    assert box is not None, "not rendered"
    label = control.evaluate("e => (e.innerText || e.getAttribute('aria-label') || e.name).trim()")
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, f"{label!r} off screen: {box}"
    assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, f"{label!r} small: {box}"


def test_the_meeting_pages_fit_a_phone(live_server, phone, sekretaris, register, tmp_path):
    meeting, proposals = build_in_session(sekretaris, register, present=False)
    base = f"{live_server}/musyawarah/{meeting.id}"
    _login(phone, live_server, sekretaris.username)

    phone.goto(base)
    expect(phone.get_by_role("heading", level=1)).to_have_text("MUSDES Pasar Ipuh")
    _assert_fits(phone, tmp_path / "meeting-360.png")
    _tappable_on_screen(phone.get_by_role("button", name="Tetapkan keputusan"))

    phone.goto(f"{base}/peserta")
    for name in (*VOTERS, "Pendamping PKH"):
        button = phone.locator("table.participants tr", has_text=name).locator("button.check-in")
        button.click()  # Playwright scrolls the table sideways if it has to: see the next test
        expect(button).to_have_attribute("aria-pressed", "true")
    expect(phone.locator("#ringkasan-rapat")).to_contain_text("3/3 pemilih undangan hadir")
    _assert_fits(phone, tmp_path / "check-in-360.png")

    phone.goto(f"{base}/usulan")
    item = phone.locator(f"#usulan-{proposals[2].id}")
    item.get_by_role("button", name="Pemungutan suara bernama").click()
    expect(item.locator("ul.voters > li")).to_have_count(3)
    for voter in VOTERS:
        for choice in ("Setuju", "Tidak", "Abstain"):
            _tappable_on_screen(_vote_button(item, choice, voter))
    _vote_button(item, "Setuju", VOTERS[0]).click()
    expect(item).to_contain_text("Suara bernama: 1 setuju, 0 tidak setuju, 0 abstain")
    _tappable_on_screen(item.get_by_role("button", name="Tutup pemungutan suara"))
    tally = phone.locator(f"#usulan-{proposals[1].id}")
    _tappable_on_screen(tally.get_by_role("button", name="Catat hitungan suara"))
    _tappable_on_screen(tally.get_by_label("Setuju", exact=True))
    _assert_fits(phone, tmp_path / "voting-360.png")
    assert (tmp_path / "voting-360.png").stat().st_size > 0


def test_check_in_needs_no_sideways_scrolling(live_server, phone, sekretaris, register) -> None:
    meeting, _ = build_in_session(sekretaris, register)
    _login(phone, live_server, sekretaris.username)
    phone.goto(f"{live_server}/musyawarah/{meeting.id}/peserta")
    for name in (*VOTERS, "Pendamping PKH"):
        row = phone.locator("table.participants tr", has_text=name)
        _tappable_on_screen(row.locator("button.check-in"))
        name_box = row.locator("td").first.bounding_box()
        assert name_box is not None and name_box["x"] >= 0  # the name stays in view with it
