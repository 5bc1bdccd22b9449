"""Issue 15 item 8: each role's "Yang perlu dilakukan" agrees with the page its step links to."""

from __future__ import annotations

import re

from portal.blueprints.meetings import states
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO, make_user
from tests.meetings.conftest import meeting_data
from tests.review.conftest import (  # noqa: F401  (fixtures)
    EXPECTED,
    FAMILIES,
    confirmed,
    locked,
    register,
    sekretaris,
    users,
)

NOT_YET_PRELIST = "belum tersedia di portal"
NO_BA_WAITING = "Belum ada berita acara dari desa/kelurahan di kecamatan Anda yang menunggu"
NO_ENTRY = "Belum ada keputusan musyawarah yang dikunci dan dikonfirmasi"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _home(client, auth, user) -> str:
    auth.login_as(user)
    return _text(client.get("/").get_data(as_text=True))


def _steps(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return html.split('id="langkah"', 1)[1].split("</section>", 1)[0]


# --- sekretaris ----------------------------------------------------------------------------------


def test_secretary_without_a_prelist_is_told_so(client, auth, regions):
    page = _home(client, auth, make_user("sekretaris", DESA_PASAR_IPUH))
    assert NOT_YET_PRELIST in page
    assert "0 keluarga dalam prelist" in page


def test_secretary_sees_the_families_the_register_page_lists(client, auth, users, register):
    page = _home(client, auth, users["sekretaris"])
    assert NOT_YET_PRELIST not in page
    assert f"Prelist DTSEN desa/kelurahan Anda: {FAMILIES} keluarga." in page
    steps = _steps(client)
    assert f'href="/keluarga/desa/{DESA_PASAR_IPUH}"' in steps
    village = _text(client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}").get_data(as_text=True))
    assert f"{FAMILIES} keluarga aktif" in village
    # No meeting yet: the next step is to create one.
    assert 'href="/musyawarah/baru"' in steps


def test_secretary_sees_each_meeting_the_meetings_page_lists(client, auth, users, locked):
    meeting, _ba = locked
    assert meeting.state == states.LOCKED
    from portal.blueprints.meetings import services

    scheduled = services.create_meeting(
        DESA_PASAR_IPUH, meeting_data(number="010/MUSDES/XII/2026"), user=users["sekretaris"]
    )
    db.session.commit()
    auth.login_as(users["sekretaris"])
    steps = _steps(client)
    listed = client.get("/musyawarah/").get_data(as_text=True)
    for shown in (meeting, scheduled):
        assert f'href="/musyawarah/{shown.id}"' in steps
        assert f'href="/musyawarah/{shown.id}"' in listed
    assert "menunggu konfirmasi camat" in steps
    assert "Lanjutkan MUSDES 010/MUSDES/XII/2026 (draf)" in _text(steps)
    # A meeting under way: no "create a new one".
    assert 'href="/musyawarah/baru"' not in steps


# --- camat ---------------------------------------------------------------------------------------


def _inbox_rows(client) -> list[str]:
    html = client.get("/konfirmasi/").get_data(as_text=True)
    waiting = html.split("</table>", 1)[0]
    return re.findall(r'<a href="/konfirmasi/(\d+)">', waiting)


def test_camat_with_nothing_waiting(client, auth, users, register):
    page = _home(client, auth, users["camat"])
    assert NO_BA_WAITING in page
    assert _inbox_rows(client) == []


def test_camat_sees_the_berita_acara_the_inbox_lists(client, auth, users, locked):
    page = _home(client, auth, users["camat"])
    rows = _inbox_rows(client)
    assert len(rows) == 1
    assert NO_BA_WAITING not in page
    assert "1 berita acara dari desa/kelurahan di kecamatan Anda menunggu konfirmasi." in page
    assert "1 berita acara menunggu konfirmasi" in page
    assert 'href="/konfirmasi/"' in _steps(client)
    # A camat of another kecamatan sees neither.
    page = _home(client, auth, users["other_camat"])
    assert NO_BA_WAITING in page and _inbox_rows(client) == []


# --- operator ------------------------------------------------------------------------------------


def _entry_rows(client, shown: str = "semua") -> list[str]:
    html = client.get(f"/entri/?tampil={shown}").get_data(as_text=True)
    return re.findall(r'<a href="/entri/(\d+)">', html)


def test_operator_before_any_confirmation(client, auth, users, locked):
    page = _home(client, auth, users["operator"])
    assert NO_ENTRY in page
    assert _entry_rows(client) == []


def test_operator_sees_what_the_entry_list_lists(client, auth, users, confirmed):
    meeting, _review = confirmed
    for operator in (users["operator"], users["operator_kecamatan"]):
        page = _home(client, auth, operator)
        assert NO_ENTRY not in page
        assert "1 musyawarah yang dikonfirmasi camat menunggu entri ke SIKS-NG." in page
        assert _entry_rows(client, "terbuka") == [str(meeting.id)]
        assert 'href="/entri/?tampil=terbuka"' in _steps(client)
    page = _home(client, auth, users["other_operator"])
    assert NO_ENTRY in page and _entry_rows(client) == []


# --- admin ---------------------------------------------------------------------------------------


def test_admin_counts_the_villages_the_register_page_lists_without_families(
    client, auth, regions, register
):
    page = _home(client, auth, make_user("admin", KAB_MUKOMUKO))
    index = client.get("/keluarga/").get_data(as_text=True)
    empty = len(re.findall(r'<td class="num">0</td>', index))
    assert empty > 0
    assert f"Impor prelist DTSEN untuk {empty} desa/kelurahan yang belum punya." in page
    secretaries = len(
        re.findall(r"<tr><td class=\"code\">", client.get("/").get_data(as_text=True))
    )
    assert f"Buat akun sekretaris untuk {secretaries} desa/kelurahan" in page
