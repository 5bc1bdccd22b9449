"""The camat's inbox and review page, as the camat and everyone else sees them."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import func, select

from portal.blueprints.meetings import services as meetings
from portal.blueprints.meetings.models import KabupatenRules, Meeting, Participant
from portal.blueprints.meetings.services import moves
from portal.blueprints.review.models import MeetingReview
from portal.extensions import db
from tests.factories import DESA_AIR_BULUH, KAB_MUKOMUKO
from tests.meetings.conftest import meeting_data
from tests.register.conftest import text_of
from tests.review.conftest import build_locked


def test_the_camat_sees_the_locked_meeting_with_warnings(client, auth, locked, users) -> None:
    meeting, _ = locked
    auth.login_as(users["camat"])
    inbox = text_of(client.get("/konfirmasi/"))
    assert meeting.number in inbox and "Pasar Ipuh" in inbox
    page = client.get(f"/konfirmasi/{meeting.id}")
    assert page.status_code == 200
    body = text_of(page)
    # The fixture's meeting: 3 of 3 voters (minimum 2), 2 of 8 families leave, held on the
    # 20th (window 1-14), decided within seconds, no scan yet.
    assert "Kuorum nyaris tidak terpenuhi: 3 pemilih hadir, minimal 2." in body
    assert "Jumlah keluarga keluar tidak biasa: 2 dari 8 keluarga (25%)." in body
    assert "di luar jendela siklus (tanggal 1–14 setiap bulan)" in body
    assert "diputuskan dalam waktu yang sangat singkat" in body
    assert "Pindaian berita acara yang ditandatangani belum diunggah." in body
    assert "Konfirmasi musyawarah" in body and "Kembalikan kepada sekretaris" in body


def test_warnings_follow_the_rules(client, auth, locked, users) -> None:
    meeting, _ = locked
    db.session.add(
        KabupatenRules(
            kabupaten_code=KAB_MUKOMUKO,
            quorum_num=2,
            quorum_den=3,
            majority_num=1,
            majority_den=2,
            cycle_last_day=25,
        )
    )
    db.session.commit()
    auth.login_as(users["camat"])
    body = text_of(client.get(f"/konfirmasi/{meeting.id}"))
    assert "jendela siklus" not in body
    assert "Kuorum nyaris" in body


def test_a_participant_present_elsewhere_at_the_same_hour(client, auth, users, register) -> None:
    sekretaris = users["sekretaris"]
    # Pak Tokoh (with his NIK) attends Pasar Ipuh at 09:00 and Air Buluh at 09:30.
    nik = "1706051203800001"
    meeting = meetings.create_meeting(
        DESA_AIR_BULUH,
        meeting_data(number="009/MUSDES/XI/2026", start_time=time(9, 30)),
        user=users["other_sekretaris"],
    )
    db.session.add(
        Participant(
            meeting_id=meeting.id, name="Pak Tokoh", unsur="tokoh_masyarakat", nik=nik, present=True
        )
    )
    db.session.commit()
    from tests.berita_acara import conftest as ba_conftest

    original = ba_conftest.invite

    def invite_with_nik(meeting, name, **kw):
        if name == "Pak Tokoh":
            kw["nik"] = nik
        return original(meeting, name, **kw)

    ba_conftest.invite = invite_with_nik
    try:
        locked_meeting, _ = build_locked(sekretaris, register, real_pdf=False)
    finally:
        ba_conftest.invite = original
    auth.login_as(users["camat"])
    body = text_of(client.get(f"/konfirmasi/{locked_meeting.id}"))
    assert "1 peserta juga tercatat hadir di musyawarah lain pada jam yang sama." in body
    assert "Pak Tokoh (NIK 170605********01): juga di 009/MUSDES/XI/2026" in body
    assert nik not in body


def test_confirm_through_the_page(client, auth, locked, users) -> None:
    meeting, _ = locked
    auth.login_as(users["camat"])
    response = client.post(
        f"/konfirmasi/{meeting.id}/konfirmasi", data={"note": ""}, follow_redirects=True
    )
    body = text_of(response)
    assert "Musyawarah dikonfirmasi." in body
    assert "Unduh PDF yang sudah dikonfirmasi" in body
    assert db.session.get(Meeting, meeting.id).state == "confirmed"
    # Everyone who may see the meeting gets the countersigned PDF; others do not.
    for role, expected in (("operator", 200), ("sekretaris", 200), ("other_operator", 404)):
        auth.login_as(users[role])
        pdf = client.get(f"/konfirmasi/{meeting.id}/berita-acara-dikonfirmasi.pdf")
        assert pdf.status_code == expected, role
        if expected == 200:
            assert pdf.data.startswith(b"%PDF-")
            assert "attachment" in pdf.headers["Content-Disposition"]


def test_return_without_a_note_is_refused(client, auth, locked, users) -> None:
    meeting, _ = locked
    auth.login_as(users["camat"])
    response = client.post(f"/konfirmasi/{meeting.id}/kembalikan", data={"note": "  "})
    assert response.status_code == 422
    assert "Wajib diisi." in text_of(response)
    assert db.session.get(Meeting, meeting.id).state == "locked"
    assert db.session.scalar(select(func.count()).select_from(MeetingReview)) == 0
    response = client.post(
        f"/konfirmasi/{meeting.id}/kembalikan",
        data={"note": "Foto kegiatan tidak ada."},
        follow_redirects=True,
    )
    assert "dikembalikan kepada sekretaris" in text_of(response)
    assert db.session.get(Meeting, meeting.id).state == "returned"
    # The secretary reads the note on the meeting page.
    auth.login_as(users["sekretaris"])
    page = text_of(client.get(f"/musyawarah/{meeting.id}"))
    assert "Foto kegiatan tidak ada." in page


@pytest.mark.parametrize("role", ["admin", "sekretaris", "operator"])
def test_other_roles_cannot_review(client, auth, locked, users, role: str) -> None:
    meeting, _ = locked
    auth.login_as(users[role])
    assert client.get("/konfirmasi/").status_code == 403
    assert client.get(f"/konfirmasi/{meeting.id}").status_code == 403
    assert client.post(f"/konfirmasi/{meeting.id}/konfirmasi").status_code == 403
    assert (
        client.post(f"/konfirmasi/{meeting.id}/kembalikan", data={"note": "x"}).status_code == 403
    )
    assert db.session.get(Meeting, meeting.id).state == "locked"


def test_a_camat_of_another_kecamatan_sees_nothing(client, auth, locked, users) -> None:
    meeting, _ = locked
    auth.login_as(users["other_camat"])
    assert meeting.number not in text_of(client.get("/konfirmasi/"))
    assert client.get(f"/konfirmasi/{meeting.id}").status_code == 404
    assert client.post(f"/konfirmasi/{meeting.id}/konfirmasi").status_code == 404
    assert (
        client.post(f"/konfirmasi/{meeting.id}/kembalikan", data={"note": "x"}).status_code == 404
    )
    assert db.session.get(Meeting, meeting.id).state == "locked"


def test_anonymous_is_sent_to_login(client, locked) -> None:
    meeting, _ = locked
    for url in ("/konfirmasi/", f"/konfirmasi/{meeting.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_a_returned_meeting_is_corrected_by_an_addendum(client, auth, returned, users) -> None:
    meeting, _ = returned
    auth.login_as(users["sekretaris"])
    page = text_of(client.get(f"/musyawarah/{meeting.id}"))
    assert "Daftar hadir tidak sesuai dengan foto kegiatan." in page
    assert "Buat musyawarah adendum" in page
    response = client.post(f"/konfirmasi/{meeting.id}/adendum", follow_redirects=True)
    body = text_of(response)
    assert "Musyawarah adendum dibuat sebagai draf." in body
    addendum = db.session.execute(
        select(Meeting).where(Meeting.addendum_of_id == meeting.id)
    ).scalar_one()
    assert addendum.state == "draft" and addendum.village_code == meeting.village_code
    assert meeting.number in addendum.agenda
    old = db.session.get(Meeting, meeting.id)
    assert len(addendum.participants) == len([p for p in old.participants if not p.walk_in])
    from portal.blueprints.meetings.models import Proposal

    proposals = (
        db.session.execute(select(Proposal).where(Proposal.meeting_id == addendum.id))
        .scalars()
        .all()
    )
    assert len(proposals) == 5 and all(p.status == "open" for p in proposals)
    # Once only; the returned meeting's page links to its addendum.
    again = client.post(f"/konfirmasi/{meeting.id}/adendum", follow_redirects=True)
    assert "sudah dibuat" in text_of(again)
    assert addendum.number in text_of(client.get(f"/musyawarah/{meeting.id}"))


def test_only_the_village_secretary_creates_the_addendum(client, auth, returned, users) -> None:
    meeting, _ = returned
    auth.login_as(users["camat"])
    assert client.post(f"/konfirmasi/{meeting.id}/adendum").status_code == 403
    auth.login_as(users["other_sekretaris"])
    assert client.post(f"/konfirmasi/{meeting.id}/adendum").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_the_camat_is_warned_when_held_on_another_day(client, auth, users, register) -> None:
    """Issue 15: scheduled for 17 December, opened on 3 December (09:12 WIB)."""
    from datetime import UTC, date, datetime

    meeting, _ = build_locked(
        users["sekretaris"],
        register,
        real_pdf=False,
        meeting_date=date(2026, 12, 17),
        period="2026-12",
        opened=datetime(2026, 12, 3, 2, 12, tzinfo=UTC),
    )
    auth.login_as(users["camat"])
    body = text_of(client.get(f"/konfirmasi/{meeting.id}"))
    assert (
        "Musyawarah tidak dilaksanakan pada tanggal yang dijadwalkan: dijadwalkan "
        "17 Desember 2026, dilaksanakan 3 Desember 2026." in body
    )
    # Held on the 3rd: inside the cycle window (1–14), though scheduled for the 17th.
    assert "jendela siklus" not in body


def test_the_camat_sees_a_family_kept_by_one_meeting_and_removed_by_another(
    client, auth, users, register, monkeypatch
) -> None:
    """Issue 15.2: the first meeting kept a family (no proposal: tetap), a second meeting of the
    same village and period removed it (records made before the rule refused that: migration
    0007 keeps them); both reviews name the contradiction."""
    import json
    from datetime import timedelta

    from tests.berita_acara.conftest import OPENED

    first, first_ba = build_locked(
        users["sekretaris"], register, number="011/BA-MD/XI/2026", real_pdf=False
    )
    signed = json.loads(first_ba.canonical)
    discussed = {row["kk"] for row in signed["rejected"]}
    kept = next(row for row in signed["families"]["tetap"] if row["kk"] not in discussed)
    family = next(h for h in register if h.kk == kept["kk"])
    monkeypatch.setattr(moves, "refuse_decided_elsewhere", lambda meeting: None)
    second, _ = build_locked(
        users["sekretaris"],
        [family],
        real_pdf=False,
        number="012/BA-MD/XI/2026",
        opened=OPENED + timedelta(hours=3),  # the same day, after the first was decided
    )

    monkeypatch.undo()
    auth.login_as(users["camat"])
    for reviewed, other in ((second, first), (first, second)):
        body = text_of(client.get(f"/konfirmasi/{reviewed.id}"))
        assert "1 keluarga diputuskan lain dalam musyawarah lain periode ini" in body
        assert f"di musyawarah {other.number}" in body
        assert kept["head_name"] in body
