"""The public transparency page of a village: confirmed decisions, masked, for anyone."""

from __future__ import annotations

from sqlalchemy import select

from portal.blueprints.meetings.models import KabupatenRules
from portal.blueprints.register.models import Household
from portal.blueprints.transparency import services as transparency
from portal.extensions import db
from portal.personal_data import mask_id
from tests.factories import DESA_AIR_BULUH, DESA_PASAR_IPUH, KAB_MUKOMUKO
from tests.register.conftest import text_of
from tests.review.conftest import KK_NEW, NIK_NEW_HEAD


def test_anyone_reads_the_confirmed_decisions_masked(client, confirmed, register) -> None:
    meeting, _ = confirmed
    response = client.get(f"/transparansi/{DESA_PASAR_IPUH}")
    assert response.status_code == 200
    body = text_of(response)
    assert meeting.number in body
    for label, n in (("Tetap", 5), ("Keluar", 2), ("Baru", 1), ("Perbaikan", 1)):
        assert f"{label}: <strong>{n}</strong>" in body
    dead = db.session.execute(select(Household).where(Household.kk == register[0].kk)).scalar_one()
    head = dead.head
    assert head.name in body and "Meninggal" in body
    # No full NIK or KK anywhere; their masked forms are there.
    for number in (head.nik, dead.kk, KK_NEW, NIK_NEW_HEAD):
        assert number not in body
        assert mask_id(number) in body
    from portal.blueprints.berita_acara.services import of_meeting

    assert f"/verifikasi/{of_meeting(meeting.id).verify_code}" in body
    index = text_of(client.get("/transparansi/"))
    assert "Pasar Ipuh" in index


def test_only_confirmed_meetings_are_shown(client, locked) -> None:
    meeting, _ = locked
    body = text_of(client.get(f"/transparansi/{DESA_PASAR_IPUH}"))
    assert meeting.number not in body
    assert "Belum ada musyawarah yang dikonfirmasi" in body


def test_returned_meetings_are_not_shown(client, returned) -> None:
    meeting, _ = returned
    assert meeting.number not in text_of(client.get(f"/transparansi/{DESA_PASAR_IPUH}"))


def test_a_kabupaten_can_turn_the_pages_off(client, confirmed, users) -> None:
    meeting, _ = confirmed
    transparency.set_public_transparency(KAB_MUKOMUKO, False, users["admin"])
    db.session.commit()
    assert db.session.get(KabupatenRules, KAB_MUKOMUKO).public_transparency is False
    response = client.get(f"/transparansi/{DESA_PASAR_IPUH}")
    assert response.status_code == 404
    body = text_of(response)
    assert "tidak dipublikasikan" in body and meeting.number not in body
    assert "Pasar Ipuh" not in text_of(client.get("/transparansi/"))


def test_unknown_or_malformed_villages_are_not_found(client, regions) -> None:
    for code in ("1706059999", "17060520", "abc", "1706"):
        assert client.get(f"/transparansi/{code}").status_code == 404
    assert client.get(f"/transparansi/{DESA_AIR_BULUH}").status_code == 200
