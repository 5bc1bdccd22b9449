"""Accessibility in Chromium: axe-core on every main page (no serious or critical violation;
axe's "label" rule covers every form control), and the check-in and the vote by keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from portal.blueprints.meetings.models import Meeting, Proposal
from portal.extensions import db
from tests.browser.test_foundation_browser import _login
from tests.browser.test_workflow import VOTERS, _vote_button, build_in_session
from tests.factories import DESA_PASAR_IPUH
from tests.review.conftest import (  # noqa: F401  (fixtures)
    confirm,
    locked,
    register,
    sekretaris,
    users,
)

pytestmark = pytest.mark.browser

SERIOUS = ("serious", "critical")
_axe = Axe()


def serious_violations(page: Page) -> list[str]:
    """axe-core on the page as it is now: one line per serious or critical violation."""
    page.wait_for_load_state("load")
    results = _axe.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} → "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


@contextmanager
def _signed_in(browser, base: str, username: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        _login(page, base, username)
        yield page
    finally:
        context.close()


def _check(page: Page, found: dict[str, list[str]], base: str, path: str, what: str) -> None:
    response = page.goto(base + path)
    assert response is not None and response.ok, f"{what}: {path} answered {response.status}"
    problems = serious_violations(page)
    if problems:
        found[f"{what} ({path})"] = problems


def test_every_main_page_passes_axe(live_server, browser, users, register, locked) -> None:
    """Every main page of every role, with data in it: a meeting in session (a decided item, an
    open named vote), a locked one for the camat, then confirmed for the operator and the
    public."""
    locked_meeting, ba = locked
    in_session, proposals = build_in_session(
        users["sekretaris"], register[4:7], present=True, named_vote=True
    )
    from portal.blueprints.meetings import services

    services.decide_by_consensus(in_session, proposals[0], user=users["sekretaris"])
    db.session.commit()
    household = register[7]
    m, lm = in_session.id, locked_meeting.id
    found: dict[str, list[str]] = {}

    anonymous = browser.new_context()
    try:
        page = anonymous.new_page()
        _check(page, found, live_server, "/masuk", "login")
    finally:
        anonymous.close()

    with _signed_in(browser, live_server, users["sekretaris"].username) as page:
        for path, what in (
            ("/", "home sekretaris"),
            ("/musyawarah/", "meetings list"),
            ("/musyawarah/baru", "new meeting form"),
            (f"/musyawarah/{m}", "meeting in session"),
            (f"/musyawarah/{m}/peserta", "participants and check-in"),
            (f"/musyawarah/{m}/usulan", "proposals and votes"),
            (f"/musyawarah/{m}/keluarga", "family picker"),
            (f"/musyawarah/{m}/usulan/keluar/{household.id}", "removal form"),
            (f"/musyawarah/{m}/usulan/perbaikan/{household.id}", "correction form"),
            (f"/musyawarah/{m}/usulan/baru", "new family form"),
            (f"/musyawarah/{lm}", "locked meeting with berita acara"),
            (f"/musyawarah/{lm}/keputusan", "decided list"),
            (f"/keluarga/desa/{DESA_PASAR_IPUH}", "register of the village"),
        ):
            _check(page, found, live_server, path, what)

    with _signed_in(browser, live_server, users["camat"].username) as page:
        for path, what in (
            ("/", "home camat"),
            ("/konfirmasi/", "camat inbox"),
            (f"/konfirmasi/{lm}", "review page"),
            ("/notifikasi/", "notifications"),
            ("/dasbor/", "dashboard camat"),
        ):
            _check(page, found, live_server, path, what)

    confirm(locked_meeting, users["camat"])

    with _signed_in(browser, live_server, users["admin"].username) as page:
        for path, what in (
            ("/", "home admin"),
            ("/dasbor/", "dashboard admin"),
            ("/jejak-audit/", "audit trail"),
            ("/keluarga/impor", "import"),
            ("/admin/pengguna/", "users"),
            ("/musyawarah/aturan", "meeting rules"),
        ):
            _check(page, found, live_server, path, what)

    with _signed_in(browser, live_server, users["operator"].username) as page:
        for path, what in (
            ("/", "home operator"),
            ("/entri/", "operator inbox"),
            (f"/entri/{lm}", "entry page"),
            ("/notifikasi/", "notifications operator"),
        ):
            _check(page, found, live_server, path, what)

    anonymous = browser.new_context()
    try:
        page = anonymous.new_page()
        for path, what in (
            (f"/verifikasi/{ba.verify_code}", "verification"),
            ("/transparansi/", "transparency index"),
            (f"/transparansi/{DESA_PASAR_IPUH}", "transparency page"),
        ):
            _check(page, found, live_server, path, what)
    finally:
        anonymous.close()

    report = "\n".join(f"{page}:\n  " + "\n  ".join(problems) for page, problems in found.items())
    assert not found, f"serious or critical axe violations:\n{report}"


# --- keyboard alone ---------------------------------------------------------------------------


def _focused(page: Page) -> str:
    """The accessible text of the focused control ("" when the focus is on no control)."""
    return page.evaluate(
        "document.activeElement && document.activeElement !== document.body"
        " ? document.activeElement.innerText.replace(/\\s+/g, ' ').trim() : ''"
    )


def test_check_in_by_keyboard(live_server, desktop, sekretaris, register) -> None:
    meeting, _ = build_in_session(sekretaris, register)
    _login(desktop, live_server, sekretaris.username)
    desktop.goto(f"{live_server}/musyawarah/{meeting.id}/peserta")
    summary = desktop.locator("#ringkasan-rapat")
    buttons = desktop.locator("table.participants button.check-in")

    # Tab from the top of the page to the first check-in button.
    desktop.locator("body").focus()
    for _ in range(40):
        desktop.keyboard.press("Tab")
        if "Catat hadir" in _focused(desktop):
            break
    assert VOTERS[0] in _focused(desktop)
    desktop.keyboard.press("Enter")
    expect(buttons.nth(0)).to_have_attribute("aria-pressed", "true")
    expect(summary).to_contain_text("1/3 pemilih undangan hadir")

    # On to the next participant with Tab, then Space.
    desktop.keyboard.press("Tab")
    assert VOTERS[1] in _focused(desktop)
    desktop.keyboard.press("Space")
    expect(buttons.nth(1)).to_have_attribute("aria-pressed", "true")
    expect(summary).to_contain_text("2/3 pemilih undangan hadir · kuorum tercapai")

    # Undo with the keyboard too.
    buttons.nth(0).focus()
    desktop.keyboard.press("Enter")
    expect(buttons.nth(0)).to_have_attribute("aria-pressed", "false")
    expect(summary).to_contain_text("1/3 pemilih undangan hadir")

    db.session.expire_all()
    present = {p.name: p.present for p in db.session.get(Meeting, meeting.id).participants}
    assert present == {VOTERS[0]: False, VOTERS[1]: True, VOTERS[2]: False, "Pendamping PKH": False}
    db.session.rollback()


def test_focus_stays_on_the_check_in_button(live_server, desktop, sekretaris, register) -> None:
    meeting, _ = build_in_session(sekretaris, register)
    _login(desktop, live_server, sekretaris.username)
    desktop.goto(f"{live_server}/musyawarah/{meeting.id}/peserta")
    row_id = f"peserta-{meeting.participants[0].id}"
    button = desktop.locator(f"#{row_id} button.check-in")
    button.focus()
    desktop.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "true")
    # A screen reader stays on the control just pressed, not thrown back to the page's top.
    # (htmx settles the swapped row's attributes ~20 ms after the swap: wait for it.)
    desktop.wait_for_function("document.activeElement.classList.contains('on')", timeout=5000)
    focused = desktop.evaluate(
        "[document.activeElement.className, document.activeElement.closest('tr')?.id]"
    )
    assert focused == ["check-in on", row_id]


def test_vote_by_keyboard(live_server, desktop, sekretaris, register) -> None:
    meeting, proposals = build_in_session(sekretaris, register, present=True)
    _login(desktop, live_server, sekretaris.username)
    desktop.goto(f"{live_server}/musyawarah/{meeting.id}/usulan")
    item = desktop.locator(f"#usulan-{proposals[2].id}")

    item.get_by_role("button", name="Pemungutan suara bernama").focus()
    desktop.keyboard.press("Enter")
    expect(item).to_contain_text("Suara bernama: 0 setuju, 0 tidak setuju, 0 abstain")
    for voter, choice, key, counts in (
        (VOTERS[0], "Setuju", "Enter", "1 setuju, 0 tidak setuju, 0 abstain"),
        (VOTERS[1], "Setuju", "Space", "2 setuju, 0 tidak setuju, 0 abstain"),
        (VOTERS[2], "Tidak", "Enter", "2 setuju, 1 tidak setuju, 0 abstain"),
    ):
        _vote_button(item, choice, voter).focus()
        desktop.keyboard.press(key)
        expect(item).to_contain_text(f"Suara bernama: {counts}")
    item.get_by_role("button", name="Tutup pemungutan suara").focus()
    desktop.keyboard.press("Enter")
    expect(item.locator(".outcome")).to_contain_text(
        "Diterima (suara: 2 setuju, 1 tidak setuju, 0 abstain dari 3 pemilih hadir)"
    )

    # A tally typed in and sent with Enter from the last field.
    tally = desktop.locator(f"#usulan-{proposals[1].id}")
    tally.get_by_label("Setuju", exact=True).focus()
    desktop.keyboard.press("Control+A")
    desktop.keyboard.type("1")
    desktop.keyboard.press("Tab")
    desktop.keyboard.press("Control+A")
    desktop.keyboard.type("2")
    desktop.keyboard.press("Enter")
    expect(tally.locator(".outcome")).to_contain_text("Ditolak (suara: 1 setuju, 2 tidak setuju")

    db.session.expire_all()
    decided = db.session.get(Proposal, proposals[2].id)
    assert (decided.method, decided.accepted, decided.votes_yes) == ("named", True, 2)
    assert db.session.get(Proposal, proposals[1].id).method == "tally"
    db.session.rollback()
