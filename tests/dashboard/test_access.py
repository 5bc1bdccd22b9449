"""Who sees which dashboard: admin their kabupaten, camat their kecamatan, nobody else; a region
outside the scope never shows, on the page, in a fragment or in a CSV."""

from __future__ import annotations

from typing import Any

import pytest

from portal.blueprints.meetings.models import Meeting
from portal.blueprints.review import services as review
from portal.demo import synthetic
from portal.extensions import db
from tests.dashboard.helpers import HX, cells, csv_rows, row_of, summary, text_of
from tests.factories import (
    DESA_AIR_BULUH,
    DESA_PASAR_IPUH,
    KEC_IPUH,
    KEC_KOTA_MUKOMUKO,
    KEC_LUBUK_SIKARAH,
    KEL_PASAR_MUKOMUKO,
    KEL_TANAH_GARAM,
    make_user,
)
from tests.meetings.conftest import families
from tests.register.conftest import csv_bytes, seed_register, village_of
from tests.review.conftest import build_locked

URLS = ("/dasbor/", "/dasbor/unduh.csv", "/dasbor/per-bulan.csv")
IPUH_VILLAGES = {"1706052004", "1706052005", DESA_PASAR_IPUH}
KOTA_MUKOMUKO_VILLAGES = {KEL_PASAR_MUKOMUKO, "1706022007"}


@pytest.fixture
def confirmed_elsewhere(confirmed, users) -> Meeting:
    """A second confirmed meeting, in Pasar Mukomuko (kecamatan Kota Mukomuko)."""
    rows, _ = synthetic.generate([village_of(KEL_PASAR_MUKOMUKO)], families_per_village=3, seed=13)
    seed_register(csv_bytes(rows), KEL_PASAR_MUKOMUKO)
    secretary = make_user("sekretaris", KEL_PASAR_MUKOMUKO)
    meeting, _ = build_locked(
        secretary, families(KEL_PASAR_MUKOMUKO), number="009/BA-MUSKEL/XI/2026", real_pdf=False
    )
    review.confirm(meeting, user=users["other_camat"])
    db.session.commit()
    return meeting


@pytest.mark.parametrize("url", URLS)
def test_anonymous_goes_to_the_login(client, regions, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert "/masuk" in response.location


@pytest.mark.parametrize("role", ["sekretaris", "operator", "operator_kecamatan"])
@pytest.mark.parametrize("url", URLS)
def test_other_roles_are_refused(client, auth, users, role: str, url: str) -> None:
    auth.login_as(users[role])
    response = client.get(url)
    assert response.status_code == 403
    assert "Pasar Ipuh" not in text_of(response)


def test_admin_sees_every_kecamatan_of_the_kabupaten(client, auth, users, confirmed) -> None:
    auth.login_as(users["admin"])
    response = client.get("/dasbor/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Kabupaten Mukomuko" in page
    assert "Ipuh" in row_of(response, "data-kecamatan", KEC_IPUH)
    assert "Kota Mukomuko" in row_of(response, "data-kecamatan", KEC_KOTA_MUKOMUKO)
    # Kota Solok is another kabupaten.
    assert KEC_LUBUK_SIKARAH not in page and "Lubuk Sikarah" not in page
    assert summary(response)["villages"] == "5"
    codes = {row["kode_desa_kelurahan"] for row in csv_rows(client.get("/dasbor/unduh.csv"))}
    assert codes == IPUH_VILLAGES | KOTA_MUKOMUKO_VILLAGES


def test_admin_opens_a_kecamatan_to_list_its_villages(client, auth, users, confirmed) -> None:
    auth.login_as(users["admin"])
    response = client.get(f"/dasbor/?kecamatan={KEC_IPUH}")
    assert response.status_code == 200
    for code in IPUH_VILLAGES:
        row_of(response, "data-village", code)
    page = text_of(response)
    assert KEL_PASAR_MUKOMUKO not in page and "Pasar Mukomuko" not in page
    # The way back to the whole kabupaten.
    assert 'href="/dasbor/?bulan=12"' in page
    rows = csv_rows(client.get(f"/dasbor/unduh.csv?kecamatan={KEC_IPUH}"))
    assert {row["kode_desa_kelurahan"] for row in rows} == IPUH_VILLAGES


def test_camat_sees_only_their_kecamatan(client, auth, users, confirmed_elsewhere: Any) -> None:
    auth.login_as(users["camat"])
    response = client.get("/dasbor/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Kecamatan Ipuh" in page
    for code in IPUH_VILLAGES:
        row_of(response, "data-village", code)
    assert "Pasar Mukomuko" not in page and "009/BA-MUSKEL/XI/2026" not in page
    assert summary(response)["meetings"] == "1"  # the other kecamatan's meeting is not counted
    rows = csv_rows(client.get("/dasbor/unduh.csv"))
    assert {row["kode_desa_kelurahan"] for row in rows} == IPUH_VILLAGES
    monthly = csv_rows(client.get("/dasbor/per-bulan.csv"))
    assert sum(int(row["musyawarah_dikonfirmasi"]) for row in monthly) == 1


def test_the_admin_counts_both_kecamatan(client, auth, users, confirmed_elsewhere) -> None:
    auth.login_as(users["admin"])
    response = client.get("/dasbor/")
    assert summary(response)["meetings"] == "2"
    # Kecamatan, villages, at risk, meetings: Pasar Sebelah has no meeting yet.
    row = cells(row_of(response, "data-kecamatan", KEC_KOTA_MUKOMUKO))
    assert row[:4] == ["Kota Mukomuko", "2", "1", "1"]


@pytest.mark.parametrize("code", [KEC_KOTA_MUKOMUKO, KEC_LUBUK_SIKARAH, "999999"])
def test_camat_cannot_open_another_kecamatan(client, auth, users, confirmed, code) -> None:
    auth.login_as(users["camat"])
    response = client.get(f"/dasbor/?kecamatan={code}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Kecamatan dengan kode itu tidak ada di wilayah Anda." in page
    assert "Pasar Mukomuko" not in page and "Tanah Garam" not in page
    row_of(response, "data-village", DESA_PASAR_IPUH)  # their own kecamatan instead
    # The CSV is not produced: back to the dashboard with the message.
    download = client.get(f"/dasbor/unduh.csv?kecamatan={code}")
    assert download.status_code == 302 and download.location.endswith("/dasbor/")
    page = text_of(client.get(download.location))
    assert "Kecamatan dengan kode itu tidak ada di wilayah Anda." in page


def test_other_admin_sees_only_their_kota(client, auth, users, confirmed) -> None:
    auth.login_as(users["other_admin"])
    response = client.get("/dasbor/")
    page = text_of(response)
    assert "Lubuk Sikarah" in page
    assert "Ipuh" not in page and "Mukomuko" not in page
    assert summary(response)["meetings"] == "0"
    rows = csv_rows(client.get("/dasbor/unduh.csv"))
    assert {row["kode_desa_kelurahan"] for row in rows} == {KEL_TANAH_GARAM, "1372011002"}
    assert client.get(f"/dasbor/unduh.csv?kecamatan={KEC_IPUH}").status_code == 302


def test_other_camat_does_not_see_pasar_ipuh(client, auth, users, confirmed) -> None:
    auth.login_as(users["other_camat"])
    page = text_of(client.get("/dasbor/"))
    assert "Pasar Ipuh" not in page and DESA_PASAR_IPUH not in page
    assert "Pasar Mukomuko" in page
    rows = csv_rows(client.get("/dasbor/unduh.csv"))
    assert {row["kode_desa_kelurahan"] for row in rows} == KOTA_MUKOMUKO_VILLAGES
    assert DESA_AIR_BULUH not in {row["kode_desa_kelurahan"] for row in rows}


def test_page_and_fragment(client, auth, users, confirmed) -> None:
    auth.login_as(users["admin"])
    full = client.get(f"/dasbor/?kecamatan={KEC_IPUH}")
    fragment = client.get(f"/dasbor/?kecamatan={KEC_IPUH}", headers=HX)
    assert "<html" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'data-village="1706052006"' in body and 'id="grafik-musyawarah"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    # The fragment obeys the same scope as the page.
    outside = client.get(f"/dasbor/?kecamatan={KEC_LUBUK_SIKARAH}", headers=HX)
    assert "Tanah Garam" not in text_of(outside)
    assert "Kecamatan dengan kode itu tidak ada di wilayah Anda." in text_of(outside)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("bulan=7", "Pilih periode 3, 6, 12 atau 24 bulan."),
        ("bulan=abc", "Pilih periode 3, 6, 12 atau 24 bulan."),
        ("kecamatan=17.06.05", "Kode kecamatan harus 6 angka, tanpa titik."),
        ("kecamatan=%3Cscript%3E", "Kode kecamatan harus 6 angka, tanpa titik."),
    ],
)
def test_bad_filters_get_a_message(client, auth, users, confirmed, query, message) -> None:
    auth.login_as(users["camat"])
    response = client.get(f"/dasbor/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in text_of(response) and "<script>" not in page
    # The defaults are shown instead: the whole kecamatan, 12 months.
    assert '<option selected value="12">' in page
    row_of(response, "data-village", DESA_PASAR_IPUH)
    download = client.get(f"/dasbor/unduh.csv?{query}")
    assert download.status_code == 302
