"""The public transparency page of a village: anyone (no login, no session) reads the
confirmed decisions, with names and masked NIK/KK, counts and the verification link."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from portal.audit import AuditEntry
from portal.blueprints.berita_acara import services as berita_acara
from portal.blueprints.meetings.models import KabupatenRules, Proposal
from portal.blueprints.register.models import ACTIVE, Household
from portal.blueprints.transparency import services as transparency
from portal.extensions import db
from portal.personal_data import mask_id
from tests.factories import (
    DESA_AIR_BULUH,
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    KEC_IPUH,
    KEL_TANAH_GARAM,
    KOTA_SOLOK,
)
from tests.register.conftest import text_of
from tests.review.conftest import (
    EXPECTED,
    KK_NEW,
    NIK_NEW_CHILD,
    NIK_NEW_HEAD,
    build_locked,
    confirm,
)

PAGE = f"/transparansi/{DESA_PASAR_IPUH}"


def plain(html_text: str) -> str:
    """What a reader sees: tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html_text).split())


def fresh(app):
    """A brand-new browser: no cookie, no login."""
    return app.test_client()


def test_anyone_reads_the_decisions_with_masked_numbers(app, confirmed) -> None:
    meeting, _ = confirmed
    response = fresh(app).get(PAGE)
    assert response.status_code == 200
    body = text_of(response)
    ba = berita_acara.of_meeting(meeting.id)
    document = json.loads(ba.canonical)
    assert "Pasar Ipuh" in body and "Ipuh" in body and "Mukomuko" in body
    assert meeting.number in body
    counts = document["counts"]
    assert counts["tetap"] == EXPECTED["tetap"]
    seen = plain(body)
    for label, key in (("Tetap", "tetap"), ("Keluar", "keluar"), ("Baru", "baru")):
        assert f"{label}: {counts[key]}" in seen
    assert f"Perbaikan: {counts['perbaikan']}" in seen
    assert f'href="/verifikasi/{ba.verify_code}"' in body
    # Every family of the keluar, baru and perbaikan lists: name shown, numbers masked.
    for key in ("keluar", "baru", "perbaikan"):
        assert document["families"][key]
        for row in document["families"][key]:
            assert row["head_name"] in body
            for number in (row["kk"], row["head_nik"]):
                assert number not in body and mask_id(number) in body
    for row in document["families"]["keluar"]:
        label = {"meninggal": "Meninggal", "sudah_mampu": "Sudah mampu"}[row["reason"]]
        assert f"{row['head_name']} {mask_id(row['head_nik'])} " in seen
        assert (
            f"{row['head_name']} {mask_id(row['head_nik'])} {row['rt']}/{row['rw']} {label}" in seen
        )
    # The family members and the families that stay are not listed.
    assert NIK_NEW_CHILD not in body and mask_id(NIK_NEW_CHILD) not in body
    staying = document["families"]["tetap"][0]
    assert staying["head_name"] not in body and staying["kk"] not in body
    assert KK_NEW not in body and NIK_NEW_HEAD not in body
    rejected = document["rejected"][0]  # a removal the meeting refused: the family stays
    assert rejected["head_name"] not in body and "Pindah" not in seen


def test_no_full_nik_of_the_village_anywhere_on_the_page(app, confirmed) -> None:
    body = text_of(fresh(app).get(PAGE))
    households = db.session.execute(
        select(Household).where(Household.village_code == DESA_PASAR_IPUH)
    ).scalars()
    for household in households:
        assert household.kk not in body
        for member in household.members:
            assert member.nik not in body


def test_locked_and_returned_meetings_are_not_shown(app, locked) -> None:
    meeting, _ = locked
    body = text_of(fresh(app).get(PAGE))
    assert meeting.number not in body and "Belum ada musyawarah yang dikonfirmasi" in body
    assert "Pasar Ipuh" not in text_of(fresh(app).get("/transparansi/"))


def test_returned_meeting_is_not_shown(app, returned) -> None:
    meeting, _ = returned
    assert meeting.number not in text_of(fresh(app).get(PAGE))


def test_the_newest_meetings_first_and_no_more_than_the_last(app, confirmed, users) -> None:
    first, _ = confirmed
    staying = list(
        db.session.execute(
            select(Household)
            .where(
                Household.village_code == DESA_PASAR_IPUH,
                Household.status == ACTIVE,
                # One decision per family per period: families the first meeting did not decide.
                Household.id.not_in(
                    select(Proposal.household_id).where(
                        Proposal.meeting_id == first.id, Proposal.household_id.is_not(None)
                    )
                ),
            )
            .order_by(Household.kk)
            .limit(3)
        ).scalars()
    )
    second, _ = build_locked(
        users["sekretaris"], staying, number="009/BA-MD/XII/2026", period="2026-12", real_pdf=False
    )
    confirm(second, users["camat"])
    body = text_of(fresh(app).get(PAGE))
    assert first.number in body and second.number in body
    assert body.index(second.number) < body.index(first.number)
    shown = transparency.confirmed_meetings(DESA_PASAR_IPUH, limit=1)
    assert [item.meeting.id for item in shown] == [second.id]
    assert transparency.LAST_MEETINGS == 5


def test_turned_off_by_the_kabupaten_is_not_found(app, confirmed, users) -> None:
    meeting, _ = confirmed
    transparency.set_public_transparency(KAB_MUKOMUKO, False, users["admin"])
    db.session.commit()
    response = fresh(app).get(PAGE)
    assert response.status_code == 404
    body = text_of(response)
    assert "tidak dipublikasikan" in body and meeting.number not in body
    assert "Pasar Ipuh" not in text_of(fresh(app).get("/transparansi/"))
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "transparency.set")
    ).scalar_one()
    assert entry.user_id == users["admin"].id and entry.details == {"enabled": False}
    # Another kabupaten's setting does not matter here; turning it back on publishes again.
    transparency.set_public_transparency(KOTA_SOLOK, False, users["admin"])
    transparency.set_public_transparency(KAB_MUKOMUKO, True, users["admin"])
    db.session.commit()
    assert db.session.get(KabupatenRules, KAB_MUKOMUKO).public_transparency is True
    assert fresh(app).get(PAGE).status_code == 200
    assert fresh(app).get(f"/transparansi/{KEL_TANAH_GARAM}").status_code == 404


def test_only_ten_digit_villages_that_exist(app, regions) -> None:
    client = fresh(app)
    for code in ("1706059999", KEC_IPUH, KAB_MUKOMUKO, "17060520061", "abcdefghij", "1706 52006"):
        assert client.get(f"/transparansi/{code}").status_code == 404, code
    page = client.get(f"/transparansi/{DESA_AIR_BULUH}")
    assert page.status_code == 200
    assert "Belum ada musyawarah yang dikonfirmasi" in text_of(page)


def test_the_index_lists_and_searches_villages_with_decisions(app, confirmed) -> None:
    client = fresh(app)
    index = text_of(client.get("/transparansi/"))
    assert "Pasar Ipuh" in index and f"/transparansi/{DESA_PASAR_IPUH}" in index
    assert "Air Buluh" not in index  # no confirmed meeting there
    assert "Pasar Ipuh" in text_of(client.get("/transparansi/?q=pasar"))
    assert "Pasar Ipuh" not in text_of(client.get("/transparansi/?q=buluh"))
    assert client.get("/transparansi/?q=%25_%5C").status_code == 200
