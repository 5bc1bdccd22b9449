"""Login, logout, throttling, the forced password change and the session cookie."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from portal.audit import AuditEntry
from portal.blueprints.users.models import User
from portal.extensions import db
from tests.factories import (
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    PASSWORD,
    Auth,
    make_user,
)

WRONG = "Nama pengguna atau kata sandi salah"
GOOD_NEW_PASSWORD = "sawah-hijau-77"


def location(response) -> str:
    """The redirect target as path (and query), whatever form the Location header takes."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def assert_logged_out(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert location(response).startswith("/masuk")


def audit_entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).scalars()
    )


def test_login_success_redirects_home(client, auth, regions):
    user = make_user("sekretaris", DESA_PASAR_IPUH, full_name="Siti Aminah")

    response = auth.login(user.username)

    assert response.status_code == 302
    assert location(response) == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Selamat datang, Siti Aminah" in page
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None
    [entry] = audit_entries("auth.login")
    assert entry.user_id == user.id


def test_wrong_password_shows_message_and_is_audited(client, auth, regions):
    user = make_user("sekretaris", DESA_PASAR_IPUH)

    response = auth.login(user.username, "bukan-sandinya-1")

    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)
    assert_logged_out(client)
    [entry] = audit_entries("auth.login_failed")
    assert entry.details == {"username": user.username}
    assert entry.user_id is None
    assert audit_entries("auth.login") == []


def test_unknown_user_gets_the_same_message(client, auth, regions):
    make_user("sekretaris", DESA_PASAR_IPUH)

    response = auth.login("tidak-ada", PASSWORD)

    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)
    assert_logged_out(client)
    [entry] = audit_entries("auth.login_failed")
    assert entry.details == {"username": "tidak-ada"}


def test_disabled_user_cannot_log_in(client, auth, regions):
    user = make_user("sekretaris", DESA_PASAR_IPUH, active=False)

    response = auth.login(user.username)

    assert response.status_code == 200
    assert "dinonaktifkan" in response.get_data(as_text=True)
    assert_logged_out(client)


def test_disabling_a_user_ends_their_open_session(app: Flask, regions):
    admin = make_user("admin", KAB_MUKOMUKO)
    user = make_user("sekretaris", DESA_PASAR_IPUH)
    user_client, admin_client = app.test_client(), app.test_client()
    Auth(user_client).login_as(user)
    assert user_client.get("/").status_code == 200
    Auth(admin_client).login_as(admin)

    response = admin_client.post(f"/admin/pengguna/{user.id}/aktif", data={"aktif": "0"})

    assert response.status_code == 302
    assert_logged_out(user_client)
    assert admin_client.get("/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False
    assert len(audit_entries("user.disable")) == 1


class TestAccountThrottle:
    def test_sixth_attempt_is_refused_even_with_the_right_password(self, client, auth, regions):
        user = make_user("sekretaris", DESA_PASAR_IPUH, username="ani")
        # The key is the normalised name, as for authentication: case and spaces do not help.
        for name in ("ani", "ANI", " Ani ", "ani", "aNi"):
            response = auth.login(name, "salah-sandi-1")
            assert response.status_code == 200
            assert WRONG in response.get_data(as_text=True)

        response = auth.login(user.username, PASSWORD)

        assert response.status_code == 429
        page = response.get_data(as_text=True)
        assert "Terlalu banyak percobaan" in page
        assert "Tunggu beberapa menit" in page
        assert "<html" in page
        assert_logged_out(client)

    def test_another_account_from_the_same_client_still_logs_in(self, client, auth, regions):
        target = make_user("sekretaris", DESA_PASAR_IPUH)
        other = make_user("sekretaris", DESA_PASAR_IPUH)
        for _ in range(5):
            auth.login(target.username, "salah-sandi-1")
        assert auth.login(target.username).status_code == 429

        response = auth.login(other.username)

        assert response.status_code == 302
        assert client.get("/").status_code == 200

    def test_successful_logins_do_not_count(self, client, auth, regions):
        user = make_user("sekretaris", DESA_PASAR_IPUH)
        for _ in range(7):
            auth.login_as(user)
            auth.logout()
        for _ in range(4):
            assert auth.login(user.username, "salah-sandi-1").status_code == 200

        assert auth.login(user.username).status_code == 302

    def test_failed_form_validation_does_not_crash_or_log_in(self, client, auth, regions):
        response = client.post("/masuk", data={"username": "", "password": ""})
        assert response.status_code == 200
        assert "Isi nama pengguna." in response.get_data(as_text=True)
        assert_logged_out(client)


class TestAddressThrottle:
    @pytest.fixture
    def app_config(self) -> dict[str, object]:
        return {"LOGIN_LIMIT_ADDRESS": "3 per 15 minutes"}

    HERE = {"environ_base": {"REMOTE_ADDR": "10.1.1.1"}}
    ELSEWHERE = {"environ_base": {"REMOTE_ADDR": "10.2.2.2"}}

    def test_failures_on_different_accounts_from_one_address_are_throttled(
        self, client, auth, regions
    ):
        user = make_user("sekretaris", DESA_PASAR_IPUH)
        for name in ("budi", "citra", "dedi"):
            response = auth.login(name, "salah-sandi-1", **self.HERE)
            assert response.status_code == 200

        response = auth.login(user.username, PASSWORD, **self.HERE)

        assert response.status_code == 429
        assert "Terlalu banyak percobaan" in response.get_data(as_text=True)
        assert_logged_out(client)
        # Another address is not affected.
        assert auth.login(user.username, PASSWORD, **self.ELSEWHERE).status_code == 302

    def test_successful_logins_do_not_count(self, client, auth, regions):
        users = [make_user("sekretaris", DESA_PASAR_IPUH) for _ in range(5)]
        for user in users:
            assert auth.login(user.username, **self.HERE).status_code == 302
            auth.logout()
        for name in ("budi", "citra"):
            assert auth.login(name, "salah-sandi-1", **self.HERE).status_code == 200

        assert auth.login(users[0].username, **self.HERE).status_code == 302


class TestForcedPasswordChange:
    @pytest.fixture
    def user(self, regions) -> User:
        return make_user("sekretaris", DESA_PASAR_IPUH, must_change_password=True)

    def test_every_page_redirects_to_the_change_form(self, client, auth, user):
        auth.login_as(user)
        for path in ("/", f"/wilayah/{DESA_PASAR_IPUH}", "/wilayah/", "/admin/pengguna/", "/x"):
            response = client.get(path)
            assert response.status_code == 302, path
            assert location(response) == "/akun/kata-sandi", path
        page = client.get("/akun/kata-sandi")
        assert page.status_code == 200
        assert "kata sandi sementara" in page.get_data(as_text=True)

    def test_logout_stays_possible(self, client, auth, user):
        auth.login_as(user)
        response = auth.logout()
        assert location(response) == "/masuk"
        assert_logged_out(client)

    @pytest.mark.parametrize(
        ("current", "new", "confirm", "message"),
        [
            (PASSWORD, "pendek-1", "pendek-1", "Kata sandi minimal 10 karakter."),
            (PASSWORD, "12345678901234", "12345678901234", "harus berisi huruf dan angka"),
            (PASSWORD, "hanyahurufsaja", "hanyahurufsaja", "harus berisi huruf dan angka"),
            (PASSWORD, "rahasia123", "rahasia123", "terlalu umum"),
            (PASSWORD, GOOD_NEW_PASSWORD, "sawah-hijau-78", "Kedua kata sandi baru tidak sama"),
            ("bukan-sandi-1", GOOD_NEW_PASSWORD, GOOD_NEW_PASSWORD, "Kata sandi saat ini salah"),
            (PASSWORD, PASSWORD, PASSWORD, "harus berbeda dari yang lama"),
        ],
    )
    def test_weak_or_wrong_input_is_refused_with_a_clear_message(
        self, client, auth, user, current, new, confirm, message
    ):
        auth.login_as(user)

        response = client.post(
            "/akun/kata-sandi",
            data={"current_password": current, "new_password": new, "confirm": confirm},
        )

        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(User, user.id).must_change_password is True
        assert location(client.get("/")) == "/akun/kata-sandi"

    def test_password_containing_the_username_is_refused(self, client, auth, user):
        auth.login_as(user)
        weak = f"{user.username}-2026"
        response = client.post(
            "/akun/kata-sandi",
            data={"current_password": PASSWORD, "new_password": weak, "confirm": weak},
        )
        assert response.status_code == 200
        assert "tidak boleh memuat nama pengguna" in response.get_data(as_text=True)

    def test_a_good_password_is_accepted(self, app: Flask, client, auth, user):
        other_device = app.test_client()
        Auth(other_device).login_as(user)
        auth.login_as(user)

        response = client.post(
            "/akun/kata-sandi",
            data={
                "current_password": PASSWORD,
                "new_password": GOOD_NEW_PASSWORD,
                "confirm": GOOD_NEW_PASSWORD,
            },
        )

        assert response.status_code == 302
        assert location(response) == "/"
        home = client.get("/")
        assert home.status_code == 200
        assert "Kata sandi diganti." in home.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(User, user.id).must_change_password is False
        assert len(audit_entries("user.change_password")) == 1
        # The change ends the user's other sessions, keeps this one.
        assert_logged_out(other_device)
        auth.logout()
        assert WRONG in auth.login(user.username, PASSWORD).get_data(as_text=True)
        assert auth.login(user.username, GOOD_NEW_PASSWORD).status_code == 302


class TestLogout:
    def test_get_is_not_allowed(self, client, auth, regions):
        auth.login_as(make_user("sekretaris", DESA_PASAR_IPUH))

        response = client.get("/keluar")

        assert response.status_code == 405
        assert "Metode tidak diizinkan" in response.get_data(as_text=True)
        assert client.get("/").status_code == 200

    def test_post_logs_out(self, client, auth, regions):
        user = make_user("sekretaris", DESA_PASAR_IPUH)
        auth.login_as(user)

        response = auth.logout()

        assert response.status_code == 302
        assert location(response) == "/masuk"
        assert "Anda telah keluar." in client.get("/masuk").get_data(as_text=True)
        assert_logged_out(client)
        [entry] = audit_entries("auth.logout")
        assert entry.user_id == user.id


class TestNext:
    def test_protected_page_sends_to_login_with_next(self, client, regions):
        response = client.get(f"/wilayah/{DESA_PASAR_IPUH}")
        assert response.status_code == 302
        parts = urlsplit(response.headers["Location"])
        assert parts.path == "/masuk"
        assert parse_qs(parts.query)["next"] == [f"/wilayah/{DESA_PASAR_IPUH}"]

    def test_same_site_path_is_followed(self, client, auth, regions):
        user = make_user("sekretaris", DESA_PASAR_IPUH)
        target = f"/wilayah/{DESA_PASAR_IPUH}?q=x"

        response = auth.login(user.username, query_string={"next": target})

        assert location(response) == target

    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.example/",
            "//evil.example/",
            "///evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "evil.example",
        ],
    )
    def test_other_sites_are_ignored(self, client, auth, regions, target):
        user = make_user("sekretaris", DESA_PASAR_IPUH)

        response = auth.login(user.username, query_string={"next": target})

        assert response.status_code == 302
        assert "evil" not in response.headers["Location"]
        assert location(response) == "/"

    def test_backslash_cannot_turn_into_another_host(self, client, auth, regions):
        # Browsers read `/\evil.example` as `//evil.example`; the header must not say that.
        user = make_user("sekretaris", DESA_PASAR_IPUH)
        response = auth.login(user.username, query_string={"next": "/\\evil.example"})
        assert "\\" not in response.headers["Location"]
        assert not response.headers["Location"].startswith("//")


def session_cookie(response) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_session_cookie_is_httponly_and_lax(client, auth, regions):
    response = auth.login_as(make_user("sekretaris", DESA_PASAR_IPUH))
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


class TestBehindHttps:
    @pytest.fixture
    def app_config(self) -> dict[str, object]:
        return {"HTTPS": True}

    def test_session_cookie_is_secure(self, client, auth, regions):
        response = auth.login_as(make_user("sekretaris", DESA_PASAR_IPUH))
        cookie = session_cookie(response)
        assert "Secure" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
