"""Layout, home pages per role, error pages, language switch, security headers."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests.factories import (
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    KEC_IPUH,
    KOTA_SOLOK,
    make_user,
)


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/masuk")
    page = client.get("/masuk").get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Masuk" in page and "Kata sandi" in page


@pytest.mark.parametrize(
    ("role", "region", "expected"),
    [
        ("admin", KAB_MUKOMUKO, "Buat akun sekretaris untuk 4 desa/kelurahan"),
        ("camat", KEC_IPUH, "menunggu konfirmasi"),
        ("sekretaris", DESA_PASAR_IPUH, "musyawarah desa (musdes)"),
        ("operator", KEC_IPUH, "SIKS-NG"),
    ],
)
def test_home_says_what_to_do_next(client, auth, regions, role, region, expected):
    # One secretary already exists in Mukomuko (Pasar Ipuh): the admin sees the other 4 villages.
    make_user("sekretaris", DESA_PASAR_IPUH)
    user = make_user(role, region, full_name="Budi Santoso")
    auth.login_as(user)
    page = client.get("/").get_data(as_text=True)
    assert "Selamat datang, Budi Santoso" in page
    assert expected in page


def test_navigation_follows_role(client, auth, regions):
    auth.login_as(make_user("sekretaris", DESA_PASAR_IPUH))
    page = client.get("/").get_data(as_text=True)
    assert 'href="/wilayah/"' in page
    assert 'href="/admin/pengguna/"' not in page
    auth.logout()
    auth.login_as(make_user("admin", KAB_MUKOMUKO))
    assert 'href="/admin/pengguna/"' in client.get("/").get_data(as_text=True)


def test_kelurahan_secretary_sees_muskel(client, auth, regions):
    auth.login_as(make_user("sekretaris", "1372011001"))
    page = client.get("/").get_data(as_text=True)
    assert "muskel" in page and "musyawarah kelurahan" in page


def test_404_page_is_indonesian(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.get_data(as_text=True)


def test_405_keeps_allow_header(client):
    response = client.get("/keluar")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "Metode tidak diizinkan" in response.get_data(as_text=True)


@pytest.fixture
def small_uploads(app):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


def test_oversized_request_gets_413_page(client, small_uploads):
    response = client.post("/masuk", data={"username": "x" * (2 * 1024 * 1024), "password": "y"})
    assert response.status_code == 413
    assert "Berkas terlalu besar" in response.get_data(as_text=True)


def test_500_page_is_indonesian_and_rolls_back(app, regions):
    from portal.blueprints.regions.models import Region

    @app.route("/_boom")
    def boom():
        db.session.get(Region, KOTA_SOLOK).name = "Diubah"
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.get_data(as_text=True)
    db.session.remove()
    assert db.session.get(Region, KOTA_SOLOK).name == "Kota Solok"


def test_language_switch_to_english_and_back(client, auth, regions):
    auth.login_as(make_user("sekretaris", DESA_PASAR_IPUH, full_name="Siti"))
    response = client.post("/bahasa", data={"lang": "en", "next": "/"})
    assert response.status_code == 302 and response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Welcome, Siti" in page
    assert "What to do next" in page
    client.post("/bahasa", data={"lang": "id", "next": "/"})
    assert "Selamat datang, Siti" in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_language_and_external_next(client):
    response = client.post("/bahasa", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil" not in response.location
    assert '<html lang="id">' in client.get("/masuk").get_data(as_text=True)


def test_english_login_page(client):
    client.post("/bahasa", data={"lang": "en", "next": "/masuk"})
    page = client.get("/masuk").get_data(as_text=True)
    assert "Sign in" in page and "Password" in page


def test_security_headers(client):
    response = client.get("/masuk")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_load_vendored_assets_not_a_cdn(client):
    page = client.get("/masuk").get_data(as_text=True)
    assert "/static/vendor/htmx.min.js" in page
    assert "/static/vendor/pico.min.css" in page
    assert "https://" not in page.split("<body")[0]


def test_health(client):
    assert client.get("/sehat").get_json() == {"status": "ok"}
