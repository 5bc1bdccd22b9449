"""Issue 16, item 2: the Host header never reaches a signed document or a page.

The berita acara's QR code and printed verification address come from PUBLIC_BASE_URL only;
a request with a forged `Host:` must not put that host into the PDF, a page or a fragment.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pikepdf
import pytest
from flask import request
from flask.testing import FlaskClient

from portal import create_app
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.config import DEVELOPMENT_BASE_URL, ConfigError
from portal.extensions import db
from tests.conftest import base_config

# The `locked` fixture's real PDF (tests/factories.py): its text is read (no forged host).
pytestmark = pytest.mark.real_pdf

FORGED = "evil.example"
PUBLIC = "https://musyawarah.example.go.id"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"PUBLIC_BASE_URL": PUBLIC + "/"}


class ForgedHostClient(FlaskClient):
    """Every request carries the forged Host header (so the session cookie, set for that host,
    goes along); a redirect followed keeps the host of the request it answers."""

    def open(self, *args, **kwargs):
        if args and isinstance(args[0], str):
            kwargs["headers"] = {"Host": FORGED, **dict(kwargs.get("headers") or {})}
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = ForgedHostClient
    return app.test_client()


@pytest.fixture
def forged(client):
    return client


def test_the_app_sees_the_forged_host(app, forged):
    seen = []
    app.after_request(lambda response: seen.append(request.host) or response)
    forged.get("/masuk")
    assert seen == [FORGED]


def _pdf_address(pdf: bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return str(document.docinfo["/PortalVerification"])


def _pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "ba.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_configured_base_is_normalised(app):
    assert app.config["PUBLIC_BASE_URL"] == PUBLIC


def test_a_forged_host_on_the_lock_request_does_not_reach_the_pdf(
    forged, auth, decided, sekretaris, tmp_path
):
    auth.login_as(sekretaris)
    page = forged.get(f"/musyawarah/{decided.id}")
    assert page.status_code == 200  # the forged host is really what the app saw
    response = forged.post(f"/musyawarah/{decided.id}/berita-acara", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "sudah dikunci dan ditandatangani" in body
    assert FORGED not in body
    db.session.expire_all()
    ba = db.session.execute(
        db.select(BeritaAcara).where(BeritaAcara.meeting_id == decided.id)
    ).scalar_one()
    assert ba.status == "done", ba.error
    expected = f"{PUBLIC}/verifikasi/{ba.verify_code}"
    address = _pdf_address(ba.pdf)
    assert address == expected  # the QR code encodes this same value
    assert FORGED.encode() not in ba.pdf and FORGED.encode() not in ba.canonical
    text = _pdf_text(ba.pdf, tmp_path)
    assert FORGED not in text
    assert "musyawarah.example.go.id" in text
    panel = forged.get(f"/musyawarah/{decided.id}").get_data(as_text=True)
    assert expected in panel and FORGED not in panel


@pytest.mark.parametrize("path", ["/", "/masuk", "/transparansi/", "/tidak-ada"])
def test_anonymous_pages_do_not_echo_a_forged_host(forged, regions, path):
    response = forged.get(path, follow_redirects=True)
    assert response.status_code in (200, 404)
    assert FORGED not in response.get_data(as_text=True)
    assert FORGED not in response.headers.get("Location", "")


def test_signed_in_pages_do_not_echo_a_forged_host(forged, auth, locked, users):
    meeting, ba = locked
    for role in ("sekretaris", "camat", "admin"):
        auth.login_as(users[role])
        for path in (
            "/",
            "/musyawarah/",
            f"/musyawarah/{meeting.id}",
            f"/verifikasi/{ba.verify_code}",
            "/notifikasi/",
            "/dasbor/",
            "/konfirmasi/",
            "/entri/",
            "/keluarga/",
            "/jejak-audit/",
            "/tidak-ada",
        ):
            response = forged.get(path)
            body = response.get_data(as_text=True)
            assert FORGED not in body, (role, path)
            assert FORGED not in response.headers.get("Location", ""), (role, path)
        auth.logout()


def test_production_refuses_to_start_without_a_public_base_url(database_url, monkeypatch):
    monkeypatch.delenv("PORTAL_PUBLIC_BASE_URL", raising=False)
    config = {**base_config(database_url), "ENV_NAME": "production", "PUBLIC_BASE_URL": None}
    with pytest.raises(ConfigError, match="PORTAL_PUBLIC_BASE_URL"):
        create_app(config)


def test_production_refuses_an_address_without_a_host(database_url):
    config = {**base_config(database_url), "ENV_NAME": "production", "PUBLIC_BASE_URL": "evil"}
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        create_app(config)


def test_production_starts_with_a_public_base_url(database_url):
    config = {**base_config(database_url), "ENV_NAME": "production", "PUBLIC_BASE_URL": PUBLIC}
    assert create_app(config).config["PUBLIC_BASE_URL"] == PUBLIC


def test_development_uses_the_fixed_default(database_url, monkeypatch):
    monkeypatch.delenv("PORTAL_PUBLIC_BASE_URL", raising=False)
    app = create_app({**base_config(database_url), "PUBLIC_BASE_URL": None})
    assert app.config["PUBLIC_BASE_URL"] == DEVELOPMENT_BASE_URL == "http://127.0.0.1:5000"
