"""CSRF stays on here: forms carry the token, htmx sends it in the X-CSRFToken header."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.audit import AuditEntry
from portal.blueprints.users.models import User
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO, PASSWORD, make_user

EXPIRED = "Formulir kedaluwarsa"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True}


def form_token(page: str) -> str:
    """The value of the first `csrf_token` input, whatever the order of its attributes."""
    tag = re.search(r'<input[^>]*\bname="csrf_token"[^>]*>', page)
    assert tag, "no csrf_token field in the form"
    value = re.search(r'\bvalue="([^"]+)"', tag.group(0))
    assert value, tag.group(0)
    return value.group(1)


def body_token(page: str) -> str:
    match = re.search(r"<body hx-headers='([^']+)'>", page)
    assert match, "no hx-headers on <body>"
    headers = html.unescape(match.group(1))
    token = re.fullmatch(r'\{"X-CSRFToken": "([^"]+)"\}', headers)
    assert token, headers
    return token.group(1)


def login(client: FlaskClient, user: User) -> None:
    token = form_token(client.get("/masuk").get_data(as_text=True))
    response = client.post(
        "/masuk", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def audit_actions() -> list[str]:
    return list(db.session.execute(db.select(AuditEntry.action)).scalars())


class TestLoginForm:
    def test_post_without_token_is_refused_in_indonesian(self, client, regions):
        user = make_user("sekretaris", DESA_PASAR_IPUH)

        response = client.post("/masuk", data={"username": user.username, "password": PASSWORD})

        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert EXPIRED in page
        assert "Muat ulang halaman, lalu kirim lagi." in page
        assert not is_logged_in(client)
        assert "auth.login" not in audit_actions()

    def test_post_with_a_forged_token_is_refused(self, client, regions):
        user = make_user("sekretaris", DESA_PASAR_IPUH)
        client.get("/masuk")

        response = client.post(
            "/masuk",
            data={"username": user.username, "password": PASSWORD, "csrf_token": "palsu"},
        )

        assert response.status_code == 400
        assert not is_logged_in(client)

    def test_post_with_the_token_from_the_form_passes(self, client, regions):
        user = make_user("sekretaris", DESA_PASAR_IPUH)
        page = client.get("/masuk").get_data(as_text=True)

        response = client.post(
            "/masuk",
            data={"username": user.username, "password": PASSWORD, "csrf_token": form_token(page)},
        )

        assert response.status_code == 302
        assert is_logged_in(client)

    def test_a_token_from_another_browser_is_refused(self, app: Flask, client, regions):
        user = make_user("sekretaris", DESA_PASAR_IPUH)
        other_browser = app.test_client()
        foreign = form_token(other_browser.get("/masuk").get_data(as_text=True))
        client.get("/masuk")

        response = client.post(
            "/masuk", data={"username": user.username, "password": PASSWORD, "csrf_token": foreign}
        )

        assert response.status_code == 400
        assert not is_logged_in(client)


class TestHtmxHeader:
    @pytest.fixture
    def admin_client(self, client, regions) -> FlaskClient:
        login(client, make_user("admin", KAB_MUKOMUKO))
        return client

    @pytest.fixture
    def secretary(self, regions) -> User:
        return make_user("sekretaris", DESA_PASAR_IPUH)

    def test_token_in_the_header_passes(self, admin_client, secretary):
        page = admin_client.get(f"/admin/pengguna/{secretary.id}").get_data(as_text=True)

        response = admin_client.post(
            f"/admin/pengguna/{secretary.id}/aktif",
            data={"aktif": "0"},
            headers={"X-CSRFToken": body_token(page), "HX-Request": "true"},
        )

        assert response.status_code == 302
        assert fresh(secretary).active is False

    def test_without_the_token_nothing_changes(self, admin_client, secretary):
        before = fresh(secretary).password_hash

        disable = admin_client.post(
            f"/admin/pengguna/{secretary.id}/aktif",
            data={"aktif": "0"},
            headers={"HX-Request": "true"},
        )
        reset = admin_client.post(
            f"/admin/pengguna/{secretary.id}/reset-sandi", headers={"HX-Request": "true"}
        )

        for response in (disable, reset):
            assert response.status_code == 400
            assert EXPIRED in response.get_data(as_text=True)
        user = fresh(secretary)
        assert user.active is True
        assert user.password_hash == before
        assert user.must_change_password is False
        assert "user.disable" not in audit_actions()
        assert "user.reset_password" not in audit_actions()

    def test_the_forms_on_the_page_carry_the_token(self, admin_client, secretary):
        page = admin_client.get(f"/admin/pengguna/{secretary.id}").get_data(as_text=True)

        response = admin_client.post(
            f"/admin/pengguna/{secretary.id}/aktif",
            data={"aktif": "0", "csrf_token": form_token(page)},
        )

        assert response.status_code == 302
        assert fresh(secretary).active is False

    def test_logout_without_token_keeps_the_session(self, admin_client):
        response = admin_client.post("/keluar")

        assert response.status_code == 400
        assert is_logged_in(admin_client)


@pytest.mark.parametrize("logged_in", [False, True])
def test_every_page_carries_the_token_in_body_hx_headers(client, regions, logged_in):
    if logged_in:
        login(client, make_user("admin", KAB_MUKOMUKO))
        paths = ["/", "/admin/pengguna/", f"/wilayah/{KAB_MUKOMUKO}", "/tidak-ada"]
    else:
        paths = ["/masuk", "/tidak-ada"]
    for path in paths:
        page = client.get(path).get_data(as_text=True)
        assert body_token(page), path
