"""Hardening as a browser meets it: session limits, logout that really ends the session, Secure
cookies behind an HTTPS proxy, pages without inline script or style (the CSP forbids them)."""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime

import pytest
from flask import request, url_for

from portal import create_app
from tests.conftest import base_config
from tests.factories import PASSWORD, make_user


@pytest.fixture
def admin(app, regions):
    return make_user("admin", "1706", username="admin_muko")


def test_login_lasts_at_most_the_configured_hours(client, auth, admin):
    auth.login_as(admin)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 13 * 3600  # logged in 13 hours ago
    response = client.get("/")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]
    page = client.get("/masuk").get_data(as_text=True)
    assert "Sesi Anda sudah berakhir. Silakan masuk lagi." in page
    assert client.get("/").status_code == 302  # really logged out
    auth.login_as(admin)
    assert client.get("/").status_code == 200


def test_expired_login_tells_htmx_to_go_to_the_login_page(client, auth, admin):
    auth.login_as(admin)
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 13 * 3600
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith("/masuk")


def test_idle_limit_is_the_cookies_lifetime(app, client, auth, admin):
    response = auth.login_as(admin)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    left = expires.timestamp() - time.time()
    assert 2 * 3600 - 120 < left <= 2 * 3600 + 5  # two hours without a request, then gone
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_a_copied_session_too(app, client, auth, admin):
    auth.login_as(admin)
    with client.session_transaction() as session:
        stolen = dict(session)
    client.post("/keluar")
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    response = thief.get("/")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_behind_an_https_proxy_links_addresses_and_cookies_follow_it(database_url, regions):
    app = create_app({**base_config(database_url), "PROXY_FIX": 1, "HTTPS": True})

    def probe():
        return {"url": url_for("auth.login", _external=True), "addr": request.remote_addr}

    app.add_url_rule("/_probe", "probe", probe)
    with app.app_context():
        make_user("admin", "1706", username="admin_https")
    client = app.test_client()
    proxy = {
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "musyawarah.example.go.id",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
    }
    seen = client.get("/_probe", environ_base=proxy).get_json()
    assert seen["url"] == "https://musyawarah.example.go.id/masuk"
    assert seen["addr"] == "203.0.113.7"  # audit entries and login limits see the real client
    response = client.post(
        "/masuk", data={"username": "admin_https", "password": PASSWORD}, environ_base=proxy
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") and "; Secure" in c for c in cookies), cookies


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize(
    "path",
    [
        "/masuk",
        "/",
        "/musyawarah/",
        "/admin/pengguna/",
        "/jejak-audit/",
        "/dasbor/",
        "/keluarga/",
        "/wilayah/17.06",
        "/notifikasi/",
        "/transparansi/",
    ],
)
def test_pages_carry_no_inline_script_or_style(client, auth, admin, path):
    if path != "/masuk":
        auth.login_as(admin)
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    assert not INLINE.search(html), INLINE.search(html).group(0)
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "style-src 'self'" in csp


def _session_cookie(response) -> str | None:
    return next(
        (h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")), None
    )


def test_an_unchanged_session_is_resigned_at_most_once_a_minute(app, client, auth, admin):
    assert _session_cookie(auth.login_as(admin)) is not None  # login changes the session
    client.get("/")  # may take a flash message out of the session: a change, sent
    response = client.get("/")
    assert response.status_code == 200
    assert _session_cookie(response) is None  # signed seconds ago: not sent again
    app.config["SESSION_REFRESH_SECONDS"] = 0  # as if the cookie were older than the interval
    cookie = _session_cookie(client.get("/"))
    assert cookie is not None
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert 2 * 3600 - 120 < expires.timestamp() - time.time() <= 2 * 3600 + 5  # renewed


def test_a_session_idle_longer_than_the_limit_is_refused_by_the_server(
    app, client, auth, admin, monkeypatch
):
    """The browser drops the cookie when it expires; a cookie kept anyway (copied, or a clock
    put back) is refused by its signature's age."""
    from itsdangerous.timed import TimestampSigner

    auth.login_as(admin)
    with client.session_transaction() as session:
        data = dict(session)
    serializer = app.session_interface.get_signing_serializer(app)
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 3 * 3600)
    old = serializer.dumps(data)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    client.set_cookie("session", old)
    response = client.get("/")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]
    client.set_cookie("session", serializer.dumps(data))  # the same session, signed now
    assert client.get("/").status_code == 200
