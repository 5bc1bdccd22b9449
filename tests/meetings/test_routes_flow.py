"""A meeting run through the web as the secretary runs it: each step's page, htmx fragments with
the summary out of band, and the same steps without htmx."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.blueprints.meetings.models import Meeting, Participant, Proposal, Vote
from portal.blueprints.register.models import Household
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import DESA_AIR_BULUH, DESA_PASAR_IPUH, KEC_IPUH, make_user
from tests.register.conftest import csv_bytes, seed_register

HX = {"HX-Request": "true"}


@pytest.fixture
def prelist(regions, app):
    from portal.blueprints.regions.models import Region

    village = synthetic.villages_from_regions([db.session.get(Region, DESA_PASAR_IPUH)])
    rows, _ = synthetic.generate(village, families_per_village=6, seed=21)
    seed_register(csv_bytes(rows), DESA_PASAR_IPUH)
    return (
        db.session.execute(
            select(Household)
            .where(Household.village_code == DESA_PASAR_IPUH)
            .order_by(Household.id)
        )
        .scalars()
        .all()
    )


@pytest.fixture
def secretary(client, auth, prelist):
    user = make_user("sekretaris", DESA_PASAR_IPUH, username="sekdes.pasar")
    auth.login_as(user)
    return user


def _meeting_id(response) -> int:
    return int(re.search(r"/musyawarah/(\d+)", response.location).group(1))


def create(client) -> int:
    response = client.post(
        "/musyawarah/baru",
        data={
            "number": "001/MUSDES/XI/2026",
            "meeting_date": "2026-11-20",  # the day the tests run on (conftest)
            "start_time": "09:00",
            "place": "Balai Desa Pasar Ipuh",
            "agenda": "Verifikasi dan validasi DTSEN",
            "chair_name": "Kepala Desa",
            "notulen_name": "Sekretaris Desa",
            "period": "2026-11",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return _meeting_id(response)


def invite(client, meeting_id: int, name: str, votes: bool = True, nik: str = "") -> None:
    data = {"name": name, "unsur": "rt_rw", "nik": nik}
    if votes:
        data["votes"] = "y"
    response = client.post(f"/musyawarah/{meeting_id}/peserta", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]


def move(client, meeting_id: int, name: str):
    return client.post(f"/musyawarah/{meeting_id}/langkah/{name}", follow_redirects=True)


def test_the_whole_meeting_through_the_web(client, secretary, prelist):
    meeting_id = create(client)
    page = client.get(f"/musyawarah/{meeting_id}").get_data(as_text=True)
    assert "MUSDES Pasar Ipuh" in page and "draf" in page
    for name in ("Pak RT 1", "Bu RW 2", "Pak Tokoh"):
        invite(client, meeting_id, name)
    invite(client, meeting_id, "Pengamat Camat", votes=False)
    assert "terjadwal" in move(client, meeting_id, "schedule").get_data(as_text=True)

    first, second, third = prelist[0], prelist[1], prelist[2]
    response = client.post(
        f"/musyawarah/{meeting_id}/usulan/keluar/{first.id}",
        data={"household_id": first.id, "reason": "sudah_mampu", "proposer": "rt_rw"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/musyawarah/{meeting_id}/usulan/keluar/{second.id}",
        data={"household_id": second.id, "reason": "pindah", "proposer": "warga"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/musyawarah/{meeting_id}/usulan/perbaikan/{third.id}",
        data={
            "household_id": third.id,
            "alamat": "Jl. Baru No. 5",
            "rt": third.rt or "",
            "rw": third.rw or "",
            "dusun": third.dusun or "",
            "proposer": "rt_rw",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]

    assert "sedang berlangsung" in move(client, meeting_id, "open").get_data(as_text=True)
    participants = (
        db.session.execute(
            select(Participant).where(Participant.meeting_id == meeting_id).order_by(Participant.id)
        )
        .scalars()
        .all()
    )

    # One tap per participant, as htmx: the row back and the summary out of band.
    response = client.post(
        f"/musyawarah/{meeting_id}/peserta/{participants[0].id}/hadir",
        data={"hadir": "1"},
        headers=HX,
    )
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert f'id="peserta-{participants[0].id}"' in body
    assert 'id="ringkasan-rapat"' in body and 'hx-swap-oob="true"' in body
    assert "1/3" in body and "kuorum belum tercapai" in body
    # The same without htmx: a redirect back to the full page.
    response = client.post(
        f"/musyawarah/{meeting_id}/peserta/{participants[1].id}/hadir", data={"hadir": "1"}
    )
    assert response.status_code == 302
    page = client.get(f"/musyawarah/{meeting_id}/peserta").get_data(as_text=True)
    assert "2/3" in page and "kuorum tercapai" in page

    proposals = (
        db.session.execute(
            select(Proposal).where(Proposal.meeting_id == meeting_id).order_by(Proposal.id)
        )
        .scalars()
        .all()
    )
    # A disputed item is pulled out of the batch and decided by a named vote.
    client.post(
        f"/musyawarah/{meeting_id}/usulan/{proposals[1].id}/keberatan",
        data={"keberatan": "1"},
        headers=HX,
    )
    # Many families at once: asked first (issue 15), then confirmed with the number shown.
    response = client.post(f"/musyawarah/{meeting_id}/putuskan-sekaligus", follow_redirects=True)
    assert "menetapkan 2 keluarga sekaligus" in response.get_data(as_text=True)
    response = client.post(
        f"/musyawarah/{meeting_id}/putuskan-sekaligus",
        data={"confirm": "1", "jumlah": "2"},
        follow_redirects=True,
    )
    assert "2 usulan tanpa keberatan diputuskan" in response.get_data(as_text=True)
    client.post(f"/musyawarah/{meeting_id}/usulan/{proposals[1].id}/voting", headers=HX)
    for participant, choice in ((participants[0], "setuju"), (participants[1], "tidak_setuju")):
        body = client.post(
            f"/musyawarah/{meeting_id}/usulan/{proposals[1].id}/suara/{participant.id}",
            data={"pilihan": choice},
            headers=HX,
        ).get_data(as_text=True)
        assert (
            "<html" not in body and f'<li id="pemilih-{proposals[1].id}-{participant.id}"' in body
        )
        assert f'id="suara-bernama-{proposals[1].id}" hx-swap-oob="true"' in body
    # A changed vote replaces the voter's earlier one.
    client.post(
        f"/musyawarah/{meeting_id}/usulan/{proposals[1].id}/suara/{participants[1].id}",
        data={"pilihan": "setuju"},
        headers=HX,
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(Vote).where(Vote.proposal_id == proposals[1].id)
        )
        == 2
    )
    body = client.post(
        f"/musyawarah/{meeting_id}/usulan/{proposals[1].id}/tutup", headers=HX
    ).get_data(as_text=True)
    assert "Diterima" in body and "2 setuju" in body

    response = move(client, meeting_id, "decide")
    assert "diputuskan" in response.get_data(as_text=True)
    decided = client.get(f"/musyawarah/{meeting_id}/keputusan").get_data(as_text=True)
    assert "Sudah mampu" in decided and "Jl. Baru No. 5" in decided
    # Attendance is frozen once decided.
    response = client.post(
        f"/musyawarah/{meeting_id}/peserta/{participants[2].id}/hadir",
        data={"hadir": "1"},
        follow_redirects=True,
    )
    assert "Kehadiran tidak dapat diubah" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, meeting_id).state == "decided"
    assert not db.session.get(Participant, participants[2].id).present


def test_illegal_move_gets_a_clear_message(client, secretary):
    meeting_id = create(client)
    page = move(client, meeting_id, "decide").get_data(as_text=True)
    assert "tidak dapat dilakukan" in page
    page = move(client, meeting_id, "open").get_data(as_text=True)
    assert "tidak dapat dilakukan" in page
    db.session.expire_all()
    assert db.session.get(Meeting, meeting_id).state == "draft"


def test_tally_over_the_present_voters_is_refused(client, secretary, prelist):
    meeting_id = create(client)
    invite(client, meeting_id, "A")
    invite(client, meeting_id, "B")
    move(client, meeting_id, "schedule")
    client.post(
        f"/musyawarah/{meeting_id}/usulan/keluar/{prelist[0].id}",
        data={"household_id": prelist[0].id, "reason": "meninggal", "proposer": "rt_rw"},
    )
    move(client, meeting_id, "open")
    for participant in db.session.execute(
        select(Participant).where(Participant.meeting_id == meeting_id)
    ).scalars():
        client.post(f"/musyawarah/{meeting_id}/peserta/{participant.id}/hadir", data={"hadir": "1"})
    proposal = db.session.execute(
        select(Proposal).where(Proposal.meeting_id == meeting_id)
    ).scalar_one()
    body = client.post(
        f"/musyawarah/{meeting_id}/usulan/{proposal.id}/hitung",
        data={"yes": "2", "no": "1", "abstain": "0"},
        headers=HX,
    ).get_data(as_text=True)
    assert "melebihi peserta berhak suara yang hadir" in body
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "open"
    body = client.post(
        f"/musyawarah/{meeting_id}/usulan/{proposal.id}/hitung",
        data={"yes": "1", "no": "1", "abstain": "0"},
        headers=HX,
    ).get_data(as_text=True)
    assert "Ditolak" in body  # exactly half is not more than half


def test_other_village_and_other_kecamatan_get_404(client, auth, secretary, prelist):
    meeting_id = create(client)
    auth.logout()
    auth.login_as(make_user("sekretaris", DESA_AIR_BULUH))
    for url in (
        f"/musyawarah/{meeting_id}",
        f"/musyawarah/{meeting_id}/peserta",
        f"/musyawarah/{meeting_id}/usulan",
        f"/musyawarah/{meeting_id}/keputusan",
        f"/musyawarah/{meeting_id}/daftar-hadir",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/musyawarah/{meeting_id}/langkah/cancel").status_code == 404
    auth.logout()
    auth.login_as(make_user("camat", KEC_IPUH))
    assert client.get(f"/musyawarah/{meeting_id}").status_code == 200
    assert (
        client.post(
            f"/musyawarah/{meeting_id}/peserta", data={"name": "X", "unsur": "rt_rw"}
        ).status_code
        == 403
    )
    assert client.get("/musyawarah/baru").status_code == 403


def test_printable_attendance_sheet_has_a_signature_column(client, secretary):
    meeting_id = create(client)
    invite(client, meeting_id, "Siti Aminah")
    page = client.get(f"/musyawarah/{meeting_id}/daftar-hadir").get_data(as_text=True)
    assert "DAFTAR HADIR" in page and "Tanda tangan" in page and "Siti Aminah" in page


def test_stale_edit_form_gets_a_conflict_message(client, secretary):
    meeting_id = create(client)
    form = {
        "number": "002/MUSDES",
        "meeting_date": "2026-11-25",
        "place": "Masjid",
        "chair_name": "Kades",
        "notulen_name": "Sekdes",
        "period": "2026-11",
    }
    assert (
        client.post(f"/musyawarah/{meeting_id}/ubah", data={**form, "version": "1"}).status_code
        == 302
    )
    response = client.post(
        f"/musyawarah/{meeting_id}/ubah", data={**form, "place": "Lain", "version": "1"}
    )
    assert "baru saja diubah orang lain" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, meeting_id).place == "Masjid"
