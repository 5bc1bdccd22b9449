"""The operator marks decided families as entered in SIKS-NG or rejected by it: one by one or in
bulk, with htmx (fragments, progress out of band) and without (redirect back)."""

from __future__ import annotations

from portal.blueprints.entry import services
from portal.extensions import db
from tests.entry.conftest import (
    EXPECTED,
    HX,
    audit_entries,
    decided_kks,
    household_id,
    marks,
    row_ids,
)
from tests.review.conftest import KK_NEW


def test_the_page_lists_every_decided_family(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    page = client.get(f"/entri/{meeting.id}").get_data(as_text=True)
    kks = decided_kks(meeting)
    assert sum(len(v) for v in kks.values()) == EXPECTED["entry_total"]
    expected = {household_id(kk) for rows in kks.values() for kk in rows}
    assert set(row_ids(page)) == expected
    assert household_id(KK_NEW) in row_ids(page)  # the new family too
    assert KK_NEW in page  # full No. KK: the operator's scope covers the village
    assert f"0 / {EXPECTED['entry_total']}" in page
    assert "entri selesai" not in page


def test_filter_by_category_and_mark(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    kks = decided_kks(meeting)
    html = client.get(f"/entri/{meeting.id}?kategori=keluar").get_data(as_text=True)
    assert set(row_ids(html)) == {household_id(kk) for kk in kks["keluar"]}
    first = household_id(kks["tetap"][0])
    client.post(f"/entri/{meeting.id}/keluarga/{first}", data={"status": "entered"})
    shown = row_ids(client.get(f"/entri/{meeting.id}?tanda=dientri").get_data(as_text=True))
    assert shown == [first]
    unmarked = row_ids(client.get(f"/entri/{meeting.id}?tanda=belum").get_data(as_text=True))
    assert first not in unmarked and len(unmarked) == EXPECTED["entry_total"] - 1
    # The htmx filter answers with the list only.
    fragment = client.get(f"/entri/{meeting.id}?kategori=baru", headers=HX)
    assert "<html" not in fragment.get_data(as_text=True)
    assert row_ids(fragment.get_data(as_text=True)) == [household_id(KK_NEW)]
    assert "HX-Request" in fragment.headers.get("Vary", "")


def test_mark_one_without_javascript_redirects_back(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    hid = household_id(decided_kks(meeting)["keluar"][0])
    response = client.post(
        f"/entri/{meeting.id}/keluarga/{hid}",
        data={"status": "entered", "kategori": "keluar", "halaman": "1"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/entri/{meeting.id}?kategori=keluar#keluarga-{hid}")
    stored = marks(meeting.id)
    assert list(stored) == [hid]
    assert stored[hid].status == "entered" and stored[hid].category == "keluar"
    assert stored[hid].marked_by == operator.id
    (entry,) = audit_entries("entry.mark")
    assert entry.details == {"families": 1, "status": "entered"}
    assert entry.object_id == str(meeting.id) and entry.region_code == meeting.village_code
    assert entry.user_id == operator.id


def test_mark_one_with_htmx_returns_the_row_and_the_progress(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    hid = household_id(KK_NEW)
    response = client.post(
        f"/entri/{meeting.id}/keluarga/{hid}", data={"status": "entered"}, headers=HX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<tr id="keluarga-{hid}"')
    assert "dientri" in html
    assert 'id="kemajuan-entri"' in html and 'hx-swap-oob="true"' in html
    assert f"1 / {EXPECTED['entry_total']}" in html
    assert marks(meeting.id)[hid].category == "baru"


def test_rejected_needs_a_reason_and_saves_nothing(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    hid = household_id(decided_kks(meeting)["tetap"][0])
    html = client.post(
        f"/entri/{meeting.id}/keluarga/{hid}",
        data={"status": "rejected", "reason": "   "},
        headers=HX,
    ).get_data(as_text=True)
    assert "Tulis alasan penolakan" in html and 'aria-invalid="true"' in html
    response = client.post(
        f"/entri/{meeting.id}/keluarga/{hid}",
        data={"status": "rejected"},
        follow_redirects=True,
    )
    assert "Tulis alasan penolakan" in response.get_data(as_text=True)
    assert marks(meeting.id) == {}
    assert audit_entries("entry.mark") == []


def test_an_unknown_status_is_refused(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    hid = household_id(decided_kks(meeting)["tetap"][0])
    response = client.post(
        f"/entri/{meeting.id}/keluarga/{hid}", data={"status": "hapus"}, follow_redirects=True
    )
    assert "Pilih: dientri atau ditolak" in response.get_data(as_text=True)
    assert marks(meeting.id) == {}


def test_a_mark_changes_from_entered_to_rejected_and_back(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    hid = household_id(decided_kks(meeting)["perbaikan"][0])
    url = f"/entri/{meeting.id}/keluarga/{hid}"
    client.post(url, data={"status": "entered"})
    html = client.post(
        url, data={"status": "rejected", "reason": "NIK kepala tidak valid di Dukcapil"}, headers=HX
    ).get_data(as_text=True)
    assert "ditolak" in html and "NIK kepala tidak valid di Dukcapil" in html
    stored = marks(meeting.id)
    assert len(stored) == 1
    assert stored[hid].status == "rejected"
    assert stored[hid].reason == "NIK kepala tidak valid di Dukcapil"
    client.post(url, data={"status": "entered", "reason": "sisa teks"})
    stored = marks(meeting.id)
    assert stored[hid].status == "entered" and stored[hid].reason is None
    assert [e.details["status"] for e in audit_entries("entry.mark")] == [
        "entered",
        "rejected",
        "entered",
    ]
    # The same mark again changes nothing and writes no audit entry.
    client.post(url, data={"status": "entered"})
    assert len(audit_entries("entry.mark")) == 3


def test_bulk_marks_the_ticked_families(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    chosen = [household_id(kk) for kk in decided_kks(meeting)["tetap"][:3]]
    response = client.post(
        f"/entri/{meeting.id}/tandai",
        data={"status": "entered", "keluarga": [str(h) for h in chosen], "tanda": "belum"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/entri/{meeting.id}?tanda=belum")
    stored = marks(meeting.id)
    assert sorted(stored) == sorted(chosen)
    assert {m.status for m in stored.values()} == {"entered"}
    (entry,) = audit_entries("entry.mark")
    assert entry.details == {"families": 3, "status": "entered"}
    # Rejected in bulk needs the reason too.
    response = client.post(
        f"/entri/{meeting.id}/tandai",
        data={"status": "rejected", "keluarga": [str(chosen[0])]},
        follow_redirects=True,
    )
    assert "Tulis alasan penolakan" in response.get_data(as_text=True)
    assert marks(meeting.id)[chosen[0]].status == "entered"


def test_bulk_with_nothing_ticked_or_bad_ids_is_refused(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    html = client.post(
        f"/entri/{meeting.id}/tandai", data={"status": "entered"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Pilih dulu keluarga" in html
    html = client.post(
        f"/entri/{meeting.id}/tandai",
        data={"status": "entered", "keluarga": ["12abc"]},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Pilihan keluarga tidak sah" in html
    assert marks(meeting.id) == {}


def test_bulk_all_unmarked_of_the_shown_category_with_htmx(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    kks = decided_kks(meeting)
    rejected = household_id(kks["tetap"][0])
    client.post(
        f"/entri/{meeting.id}/keluarga/{rejected}",
        data={"status": "rejected", "reason": "Data ganda di SIKS-NG"},
    )
    response = client.post(
        f"/entri/{meeting.id}/tandai",
        data={"aksi": "semua_belum", "kategori": "tetap"},
        headers=HX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert set(row_ids(html)) == {household_id(kk) for kk in kks["tetap"]}
    assert 'id="kemajuan-entri"' in html and 'hx-swap-oob="true"' in html
    stored = marks(meeting.id)
    assert set(stored) == {household_id(kk) for kk in kks["tetap"]}
    assert stored[rejected].status == "rejected"  # already marked: left as it was
    others = [m for h, m in stored.items() if h != rejected]
    assert others and {m.status for m in others} == {"entered"}
    assert ngettext_count(html) == len(kks["tetap"]) - 1
    assert services.progress(meeting.id) == (len(kks["tetap"]), EXPECTED["entry_total"])


def ngettext_count(html: str) -> int:
    import re

    return int(re.search(r"(\d+) keluarga ditandai", html).group(1))


def test_entry_complete_when_every_family_is_marked(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    client.post(f"/entri/{meeting.id}/tandai", data={"aksi": "semua_belum", "kategori": "keluar"})
    assert not services.is_complete(meeting.id)
    assert "entri selesai" not in client.get(f"/entri/{meeting.id}").get_data(as_text=True)
    open_list = client.get("/entri/?tampil=terbuka").get_data(as_text=True)
    assert meeting.number in open_list
    client.post(f"/entri/{meeting.id}/tandai", data={"aksi": "semua_belum"})
    assert services.is_complete(meeting.id)
    assert services.progress(meeting.id) == (EXPECTED["entry_total"],) * 2
    page = client.get(f"/entri/{meeting.id}").get_data(as_text=True)
    assert "entri selesai" in page
    assert "Tandai semua yang belum" not in page
    inbox = client.get("/entri/").get_data(as_text=True)
    assert "entri selesai" in inbox
    assert meeting.number not in client.get("/entri/?tampil=terbuka").get_data(as_text=True)
    assert meeting.number in client.get("/entri/?tampil=selesai").get_data(as_text=True)
    # Nothing left: the bulk "all" says so and writes nothing.
    before = len(audit_entries("entry.mark"))
    html = client.post(
        f"/entri/{meeting.id}/tandai", data={"aksi": "semua_belum"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Tidak ada keluarga yang belum ditandai" in html
    assert len(audit_entries("entry.mark")) == before


def test_the_service_refuses_an_unconfirmed_meeting(locked, users) -> None:
    meeting, _ba = locked
    import pytest

    with pytest.raises(services.EntryError):
        services.mark(meeting, [1], "entered", None, users["operator"])
    db.session.rollback()
