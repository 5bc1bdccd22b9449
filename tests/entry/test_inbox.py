"""The operator's inbox: confirmed meetings in scope, the latest confirmation first, progress."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.blueprints.register.models import ACTIVE, Household
from portal.extensions import db
from tests.entry.conftest import EXPECTED, build_locked, confirm
from tests.factories import DESA_AIR_BULUH


def _air_buluh_confirmed(users):
    families = list(
        db.session.execute(
            select(Household)
            .where(Household.village_code == DESA_AIR_BULUH, Household.status == ACTIVE)
            .order_by(Household.kk)
        ).scalars()
    )
    meeting, _ba = build_locked(
        users["other_sekretaris"], families, number="009/MUSDES/AB/2026", real_pdf=False
    )
    confirm(meeting, users["camat"])
    return meeting


def _numbers(html: str) -> list[str]:
    return re.findall(r'<a href="/entri/\d+">([^<]+)</a>', html)


def test_inbox_shows_confirmed_meetings_in_scope_with_progress(
    client, auth, users, confirmed
) -> None:
    meeting, _review = confirmed
    auth.login_as(users["operator"])
    html = client.get("/entri/").get_data(as_text=True)
    assert _numbers(html) == [meeting.number]
    assert "Pasar Ipuh" in html
    assert f"0 / {EXPECTED['entry_total']}" in html
    assert "entri selesai" not in html


def test_kecamatan_operator_sees_both_villages_latest_confirmation_first(
    client, auth, users, confirmed
) -> None:
    meeting, _review = confirmed
    other = _air_buluh_confirmed(users)
    auth.login_as(users["operator_kecamatan"])
    assert _numbers(client.get("/entri/").get_data(as_text=True)) == [
        other.number,
        meeting.number,
    ]
    # The village operator of Pasar Ipuh does not see Air Buluh's meeting.
    auth.logout()
    auth.login_as(users["operator"])
    assert _numbers(client.get("/entri/").get_data(as_text=True)) == [meeting.number]


def test_inbox_filters_and_pages(client, auth, users, confirmed, monkeypatch) -> None:
    meeting, _review = confirmed
    other = _air_buluh_confirmed(users)
    auth.login_as(users["operator_kecamatan"])
    from portal.blueprints.entry import routes

    monkeypatch.setattr(routes, "INBOX_PER_PAGE", 1)
    first = client.get("/entri/").get_data(as_text=True)
    second = client.get("/entri/?halaman=2").get_data(as_text=True)
    assert _numbers(first) == [other.number] and _numbers(second) == [meeting.number]
    assert "Halaman 1 dari 2" in first
    monkeypatch.setattr(routes, "INBOX_PER_PAGE", 50)
    client.post(f"/entri/{other.id}/tandai", data={"aksi": "semua_belum"})
    assert _numbers(client.get("/entri/?tampil=selesai").get_data(as_text=True)) == [other.number]
    assert _numbers(client.get("/entri/?tampil=terbuka").get_data(as_text=True)) == [meeting.number]
    # An unknown filter or page shows everything rather than failing.
    response = client.get("/entri/?tampil=xyz&halaman=abc")
    assert response.status_code == 200 and len(_numbers(response.get_data(as_text=True))) == 2
