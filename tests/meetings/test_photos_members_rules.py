"""Proposal evidence photos, corrections that add members, the kabupaten's meeting rules."""

from __future__ import annotations

import io

from sqlalchemy import select

from portal.blueprints.meetings.models import KabupatenRules, Meeting, Proposal
from portal.extensions import db
from tests.factories import KAB_MUKOMUKO, make_user
from tests.meetings.test_routes_flow import create, invite, move, prelist, secretary  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _scheduled(client) -> int:
    meeting_id = create(client)
    invite(client, meeting_id, "Pak RT")
    move(client, meeting_id, "schedule")
    return meeting_id


def test_removal_with_a_photo_then_the_photo_is_served_inline(client, secretary, prelist):
    meeting_id = _scheduled(client)
    family = prelist[0]
    response = client.post(
        f"/musyawarah/{meeting_id}/usulan/keluar/{family.id}",
        data={
            "household_id": family.id,
            "reason": "meninggal",
            "proposer": "rt_rw",
            "photo": (io.BytesIO(PNG), "bukti.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert proposal.has_photo
    photo = client.get(f"/musyawarah/{meeting_id}/usulan/{proposal.id}/foto")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert photo.headers["Content-Disposition"].startswith("inline;")
    assert photo.data == PNG
    assert "Lihat foto bukti" in client.get(f"/musyawarah/{meeting_id}/usulan").get_data(
        as_text=True
    )


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_written(client, secretary, prelist):
    meeting_id = _scheduled(client)
    family = prelist[0]
    response = client.post(
        f"/musyawarah/{meeting_id}/usulan/keluar/{family.id}",
        data={
            "household_id": family.id,
            "reason": "meninggal",
            "proposer": "rt_rw",
            "photo": (io.BytesIO(b"<html>not a photo</html>"), "bukti.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "Foto harus berformat JPEG atau PNG" in response.get_data(as_text=True)
    assert db.session.execute(select(Proposal)).first() is None


def test_correction_adds_a_member(client, secretary, prelist):
    meeting_id = _scheduled(client)
    family = prelist[1]
    response = client.post(
        f"/musyawarah/{meeting_id}/usulan/perbaikan/{family.id}",
        data={
            "household_id": family.id,
            "alamat": family.alamat or "",
            "rt": family.rt or "",
            "rw": family.rw or "",
            "dusun": family.dusun or "",
            "proposer": "warga",
            "new_members": "1706054101250001; Putri Baru; ANAK",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert proposal.details["members_added"] == [
        {"nik": "1706054101250001", "name": "Putri Baru", "relation": "ANAK"}
    ]
    page = client.get(f"/musyawarah/{meeting_id}/usulan").get_data(as_text=True)
    assert "anggota baru" in page and "Putri Baru" in page


def test_correction_with_a_bad_new_member_nik_is_refused(client, secretary, prelist):
    meeting_id = _scheduled(client)
    family = prelist[1]
    response = client.post(
        f"/musyawarah/{meeting_id}/usulan/perbaikan/{family.id}",
        data={
            "household_id": family.id,
            "proposer": "warga",
            "new_members": "1706059901250001; Salah; ANAK",
        },
    )
    assert response.status_code == 200
    assert "Tanggal lahir dalam NIK" in response.get_data(as_text=True)
    assert db.session.execute(select(Proposal)).first() is None


def test_admin_sets_the_rules_and_new_meetings_use_them(client, auth, regions, prelist):
    auth.login_as(make_user("admin", KAB_MUKOMUKO))
    response = client.post(
        "/musyawarah/aturan",
        data={"quorum_num": "1", "quorum_den": "2", "majority_num": "2", "majority_den": "3"},
    )
    assert response.status_code == 302
    rules = db.session.get(KabupatenRules, KAB_MUKOMUKO)
    assert (rules.quorum_num, rules.quorum_den, rules.majority_num, rules.majority_den) == (
        1,
        2,
        2,
        3,
    )
    bad = client.post(
        "/musyawarah/aturan",
        data={"quorum_num": "3", "quorum_den": "2", "majority_num": "1", "majority_den": "2"},
    )
    assert "Kuorum harus pecahan" in bad.get_data(as_text=True)
    auth.logout()
    from tests.factories import DESA_PASAR_IPUH

    auth.login_as(make_user("sekretaris", DESA_PASAR_IPUH))
    meeting_id = create(client)
    meeting = db.session.get(Meeting, meeting_id)
    assert (meeting.quorum_num, meeting.quorum_den) == (1, 2)
    assert (meeting.majority_num, meeting.majority_den) == (2, 3)
    assert client.get("/musyawarah/aturan").status_code == 403
