"""Region pages `/wilayah/<code>`: what each user sees, scoping, and the htmx search."""

from __future__ import annotations

import pytest

from tests.factories import (
    DESA_AIR_BULUH,
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    KEC_IPUH,
    KEC_KOTA_MUKOMUKO,
    KEC_LUBUK_SIKARAH,
    KEL_PASAR_MUKOMUKO,
    KEL_TANAH_GARAM,
    KOTA_SOLOK,
    make_user,
)

HTMX = {"HX-Request": "true"}


def page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def admin_mukomuko(regions, auth):
    user = make_user("admin", KAB_MUKOMUKO)
    auth.login_as(user)
    return user


@pytest.fixture
def sekretaris_pasar_ipuh(regions, auth):
    user = make_user("sekretaris", DESA_PASAR_IPUH)
    auth.login_as(user)
    return user


def test_anonymous_is_sent_to_login(client, regions):
    response = client.get(f"/wilayah/{KAB_MUKOMUKO}")

    assert response.status_code == 302
    assert "/masuk" in response.headers["Location"]


def test_index_redirects_to_own_region(client, admin_mukomuko):
    response = client.get("/wilayah/")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/wilayah/{KAB_MUKOMUKO}")


def test_admin_sees_the_kecamatan_of_the_kabupaten(client, admin_mukomuko):
    html = page(client, f"/wilayah/{KAB_MUKOMUKO}")

    assert "<html" in html
    assert "Kabupaten Mukomuko" in html
    assert "17.06" in html
    assert "2 kecamatan, 5 desa/kelurahan" in html
    assert f'href="/wilayah/{KEC_IPUH}">Ipuh</a>' in html
    assert f'href="/wilayah/{KEC_KOTA_MUKOMUKO}">Kota Mukomuko</a>' in html
    # Another kabupaten's regions are not listed.
    assert "Solok" not in html


def test_admin_sees_the_villages_of_a_kecamatan(client, admin_mukomuko):
    ipuh = page(client, f"/wilayah/{KEC_IPUH}")

    assert "3 desa/kelurahan" in ipuh
    for name in ("Air Buluh", "Pulau Baru", "Pasar Ipuh"):
        assert f">{name}</a>" in ipuh
    assert "17.06.05.2006" in ipuh
    assert "Desa (musdes)" in ipuh
    assert "Kelurahan" not in ipuh

    kota_mukomuko = page(client, f"/wilayah/{KEC_KOTA_MUKOMUKO}")

    assert f'href="/wilayah/{KEL_PASAR_MUKOMUKO}">Pasar Mukomuko</a>' in kota_mukomuko
    assert "Kelurahan (muskel)" in kota_mukomuko
    assert "Desa (musdes)" in kota_mukomuko  # Pasar Sebelah, 17.06.02.2007


def test_admin_sees_a_village_and_its_meeting_kind(client, admin_mukomuko):
    html = page(client, f"/wilayah/{KEL_PASAR_MUKOMUKO}")

    assert "Pasar Mukomuko" in html
    assert "17.06.02.1009" in html
    assert '<span class="badge">muskel</span>' in html
    # The breadcrumb links the ancestors the admin may open, and only those.
    assert f'href="/wilayah/{KAB_MUKOMUKO}">Kabupaten Mukomuko</a>' in html
    assert f'href="/wilayah/{KEC_KOTA_MUKOMUKO}">Kota Mukomuko</a>' in html
    assert "Bengkulu" in html
    assert 'href="/wilayah/17"' not in html


@pytest.mark.parametrize("code", ["17", "13", KOTA_SOLOK, KEC_LUBUK_SIKARAH, KEL_TANAH_GARAM])
def test_admin_gets_404_outside_the_kabupaten(client, admin_mukomuko, code):
    response = client.get(f"/wilayah/{code}")

    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Halaman tidak ditemukan" in html
    assert "Solok" not in html and "Tanah Garam" not in html


def test_sekretaris_sees_own_village(client, sekretaris_pasar_ipuh):
    html = page(client, f"/wilayah/{DESA_PASAR_IPUH}")

    assert "Pasar Ipuh" in html
    assert '<span class="badge">musdes</span>' in html


@pytest.mark.parametrize(
    "code",
    [DESA_AIR_BULUH, KEL_PASAR_MUKOMUKO, KEC_IPUH, KAB_MUKOMUKO, KEL_TANAH_GARAM, "9999999999"],
)
def test_sekretaris_gets_404_for_any_other_region(client, sekretaris_pasar_ipuh, code):
    assert client.get(f"/wilayah/{code}").status_code == 404
    assert client.get(f"/wilayah/{code}", headers=HTMX).status_code == 404


def test_htmx_search_returns_the_fragment(client, admin_mukomuko):
    response = client.get(f"/wilayah/{KAB_MUKOMUKO}?q=ipuh", headers=HTMX)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert "<table" in html
    assert f'href="/wilayah/{KEC_IPUH}">Ipuh</a>' in html
    assert "Kota Mukomuko" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_same_search_without_htmx_returns_the_full_page(client, admin_mukomuko):
    response = client.get(f"/wilayah/{KAB_MUKOMUKO}?q=ipuh")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html
    assert 'value="ipuh"' in html
    assert f'href="/wilayah/{KEC_IPUH}">Ipuh</a>' in html
    assert f'href="/wilayah/{KEC_KOTA_MUKOMUKO}">' not in html
    assert "HX-Request" in response.headers["Vary"]


def test_search_is_case_insensitive_and_says_when_nothing_matches(client, admin_mukomuko):
    found = page(client, f"/wilayah/{KEC_IPUH}?q=PASAR", headers=HTMX)
    assert ">Pasar Ipuh</a>" in found
    assert "Air Buluh" not in found

    nothing = page(client, f"/wilayah/{KEC_IPUH}?q=tidak-ada", headers=HTMX)
    assert "Tidak ada wilayah yang cocok." in nothing


def test_search_stays_inside_the_region(client, admin_mukomuko):
    html = page(client, f"/wilayah/{KAB_MUKOMUKO}?q=u", headers=HTMX)

    assert "Ipuh" in html
    assert "Lubuk Sikarah" not in html


@pytest.mark.parametrize("query", ["%25", "_", "%00", "%0B%00ipuh"])
def test_wildcards_are_literal_and_control_characters_ignored(client, admin_mukomuko, query):
    """`%` and `_` match themselves, not everything; a NUL (a 500 on PostgreSQL) is dropped."""
    html = page(client, f"/wilayah/{KAB_MUKOMUKO}?q={query}", headers=HTMX)

    if query.endswith("ipuh"):
        assert f'href="/wilayah/{KEC_IPUH}">Ipuh</a>' in html
    elif query == "%00":
        assert "Ipuh" in html  # an empty search lists every child
    else:
        assert "Ipuh" not in html
        assert "Tidak ada wilayah yang cocok." in html


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/wilayah/17.06", "Kabupaten Mukomuko"),
        ("/wilayah/17.06.05", "Ipuh"),
        ("/wilayah/17.06.05.2006", "Pasar Ipuh"),
    ],
)
def test_dotted_code_in_url(client, admin_mukomuko, url, name):
    html = page(client, url)

    assert f"<title>{name} ·" in html
    assert f"{name}</h1>" in html


def test_dotted_code_outside_scope_is_404(client, admin_mukomuko):
    assert client.get("/wilayah/13.72").status_code == 404
