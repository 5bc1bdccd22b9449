"""The public verification page follows the transparency page's rule (issue 16, point 5).

Anyone may check a berita acara: genuine or not, which meeting, its dates, the counts and the
hash. The families by name (and why a family left) only where the transparency page would show
the meeting: confirmed by the camat, in a kabupaten that publishes its pages, and then masked as
there. Officials whose scope covers the village see every family, as before.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.berita_acara.services import of_meeting
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.transparency import services as transparency
from portal.extensions import db
from portal.personal_data import mask_id
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO
from tests.register.conftest import text_of
from tests.review.conftest import (  # noqa: F401  (fixtures)
    EXPECTED,
    confirmed,
    locked,
    register,
    returned,
    sekretaris,
    users,
)

#: The reasons of the meeting's two removals, as a reader sees them.
REASON_WORDS = ("Meninggal", "Sudah mampu")


def plain(html_text: str) -> str:
    """What a reader sees: tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html_text).split())


def anonymous(app):
    """A brand-new browser: no cookie, no login."""
    return app.test_client()


def page(client, ba: BeritaAcara) -> str:
    response = client.get(f"/verifikasi/{ba.verify_code}")
    assert response.status_code == 200
    return text_of(response)


def upload(client, ba: BeritaAcara, data: bytes, **headers: str) -> str:
    response = client.post(
        f"/verifikasi/{ba.verify_code}",
        data={"pdf": (io.BytesIO(data), "berita-acara.pdf")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 200
    return text_of(response)


def document(ba: BeritaAcara) -> dict[str, Any]:
    return json.loads(ba.canonical)


def every_family(ba: BeritaAcara) -> list[dict[str, Any]]:
    return [row for rows in document(ba)["families"].values() for row in rows]


def assert_counts_and_hash(body: str, ba: BeritaAcara) -> None:
    seen = plain(body)
    counts = document(ba)["counts"]
    assert counts["tetap"] == EXPECTED["tetap"] and counts["keluar"] == EXPECTED["keluar"]
    for label, key in (
        ("Tetap", "tetap"),
        ("Keluar", "keluar"),
        ("Usulan baru", "baru"),
        ("Perbaikan data", "perbaikan"),
        ("Usulan ditolak", "rejected"),
    ):
        assert f"{label} {counts[key]}" in seen, label
    assert ba.sha256 in body
    assert "Pasar Ipuh" in seen and ba.meeting.number in seen
    assert "Dijadwalkan 2026-11-20" in seen


def assert_no_family(body: str, ba: BeritaAcara) -> None:
    """No name, no number (not even masked), no reason of any family."""
    seen = plain(body)
    for row in every_family(ba):
        assert row["head_name"] not in body, row["head_name"]
        for number in (row["kk"], row["head_nik"]):
            assert number not in body and mask_id(number) not in body
    for word in REASON_WORDS:
        assert word not in seen and word.lower() not in seen.lower()
    assert "Kepala keluarga" not in seen  # no table of families at all


def assert_families_as_on_the_transparency_page(body: str, ba: BeritaAcara) -> None:
    seen = plain(body)
    shown = document(ba)["families"]
    for key in ("keluar", "baru", "perbaikan"):
        assert shown[key]
        for row in shown[key]:
            masked = f"{mask_id(row['kk'])} {row['head_name']} {mask_id(row['head_nik'])}"
            assert masked in seen, masked
    for row in shown["keluar"]:
        label = {"meninggal": "Meninggal", "sudah_mampu": "Sudah mampu"}[row["reason"]]
        assert f"{row['head_name']} {mask_id(row['head_nik'])} {row['rt']}/{row['rw']} {label}" in (
            seen
        )
    # Not more than the transparency page: the families that stay are only counted, and no
    # number is shown in full.
    for row in shown["tetap"]:
        assert row["head_name"] not in body
    for row in every_family(ba):
        assert row["kk"] not in body and row["head_nik"] not in body


def set_published(enabled: bool, users) -> None:
    transparency.set_public_transparency(KAB_MUKOMUKO, enabled, users["admin"])
    db.session.commit()


# --- the four cases ---------------------------------------------------------------------------


@pytest.fixture(params=["locked", "returned", "confirmed_unpublished", "confirmed_published"])
def case(request, users) -> tuple[str, Meeting, BeritaAcara]:
    name = request.param
    fixture = "locked" if name == "locked" else name.split("_")[0]
    meeting = request.getfixturevalue(fixture)[0]
    set_published(name != "confirmed_unpublished", users)
    return name, meeting, of_meeting(meeting.id)


def names_public(name: str) -> bool:
    return name == "confirmed_published"


def test_by_code_anyone_sees_names_only_where_the_transparency_page_does(app, case) -> None:
    name, meeting, ba = case
    body = page(anonymous(app), ba)
    assert_counts_and_hash(body, ba)
    assert str(meeting.state_label) in plain(body)
    if names_public(name):
        assert_families_as_on_the_transparency_page(body, ba)
    else:
        assert_no_family(body, ba)
        assert "ditampilkan untuk umum setelah musyawarah dikonfirmasi camat" in plain(body)


def test_an_uploaded_pdf_shows_no_more_than_the_page(app, case) -> None:
    name, _meeting, ba = case
    client = anonymous(app)
    body = upload(client, ba, ba.pdf)  # without JavaScript: the whole page again
    assert "Asli: berkas ini adalah berita acara ini, tidak diubah." in body
    assert_counts_and_hash(body, ba)
    if names_public(name):
        assert_families_as_on_the_transparency_page(body, ba)
    else:
        assert_no_family(body, ba)
    fragment = upload(client, ba, ba.pdf, **{"HX-Request": "true"})  # htmx: the verdict alone
    assert "<html" not in fragment and "Asli:" in fragment
    assert ba.sha256 in fragment  # the hash read from the file itself
    assert_no_family(fragment, ba)


def test_a_refused_upload_shows_no_names_either(app, locked) -> None:
    _meeting, ba = locked
    body = upload(anonymous(app), ba, ba.pdf[:-200] + b"x" * 200)
    assert "Tidak asli" in body
    assert_counts_and_hash(body, ba)
    assert_no_family(body, ba)


def test_the_camats_countersigned_pdf_of_a_confirmed_meeting(app, confirmed, users) -> None:
    """The copy residents are most likely to hold once confirmed: the camat's countersigned one."""
    _meeting, review = confirmed
    ba = of_meeting(review.meeting_id)
    client = anonymous(app)
    set_published(False, users)
    body = upload(client, ba, review.pdf)
    assert "Asli:" in body
    assert_counts_and_hash(body, ba)
    assert_no_family(body, ba)
    set_published(True, users)
    body = upload(client, ba, review.pdf)
    assert_families_as_on_the_transparency_page(body, ba)


def test_the_same_rows_as_the_transparency_page(app, confirmed) -> None:
    """Masked as there, not merely alike: every row of a family on the one page is on the other."""
    meeting, _ = confirmed
    ba = of_meeting(meeting.id)
    client = anonymous(app)
    public = text_of(client.get(f"/transparansi/{DESA_PASAR_IPUH}"))
    verification = page(client, ba)
    article = public[public.index('<article class="public-meeting">') :]
    rows = [plain(row) for row in re.findall(r"<tr><td>.*?</tr>", article)]
    assert len(rows) == EXPECTED["keluar"] + EXPECTED["baru"] + EXPECTED["perbaikan"]
    verification_rows = {plain(row) for row in re.findall(r"<tr><td>.*?</tr>", verification)}
    assert set(rows) <= verification_rows


# --- officials ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sekretaris", "camat", "admin", "operator_kecamatan"])
def test_an_official_whose_scope_covers_the_village_sees_every_family(
    client, auth, users, locked, role
) -> None:
    _meeting, ba = locked
    set_published(False, users)
    auth.login_as(users[role])
    for body in (page(client, ba), upload(client, ba, ba.pdf)):
        seen = plain(body)
        assert_counts_and_hash(body, ba)
        for row in every_family(ba):  # the families that stay too, as before
            assert row["head_name"] in body
            assert row["kk"] not in body and mask_id(row["kk"]) in body
        for word in REASON_WORDS:
            assert word in seen
        assert "ditampilkan untuk umum" not in seen


@pytest.mark.parametrize("role", ["other_camat", "other_admin", "other_sekretaris"])
def test_an_official_of_another_region_sees_what_the_public_sees(
    client, auth, users, locked, role
) -> None:
    _meeting, ba = locked
    auth.login_as(users[role])
    body = page(client, ba)
    assert_counts_and_hash(body, ba)
    assert_no_family(body, ba)
