"""Users administration under /admin/pengguna: create, validate, edit, disable, reset, roles."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask

from portal.audit import AuditEntry
from portal.blueprints.users.models import User
from portal.extensions import db
from tests.factories import (
    DESA_AIR_BULUH,
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    KEC_IPUH,
    KEC_KOTA_MUKOMUKO,
    KEL_PASAR_MUKOMUKO,
    KEL_TANAH_GARAM,
    PASSWORD,
    Auth,
    make_user,
)

WRONG = "Nama pengguna atau kata sandi salah"


def location(response) -> str:
    return urlsplit(response.headers["Location"]).path


def shown_password(page: str) -> str:
    match = re.search(r"<output[^>]*>([^<]+)</output>", page)
    assert match, "no temporary password on the page"
    return match.group(1).strip()


def user_count() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one()


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def audit_actions(object_id: int) -> list[str]:
    return list(
        db.session.execute(
            db.select(AuditEntry.action)
            .where(AuditEntry.object_type == "user", AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.id)
        ).scalars()
    )


def new_user_form(**overrides: str) -> dict[str, str]:
    data = {
        "username": "dewi.sekdes",
        "full_name": "Dewi Lestari",
        "role": "sekretaris",
        "region_code": DESA_PASAR_IPUH,
        "email": "",
        "phone": "",
        "password": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin(regions, auth) -> User:
    user = make_user("admin", KAB_MUKOMUKO, username="admin.mukomuko", full_name="Admin Mukomuko")
    auth.login_as(user)
    return user


class TestCreate:
    def test_form_offers_only_the_admins_kabupaten(self, client, admin):
        page = client.get("/admin/pengguna/baru").get_data(as_text=True)
        assert "Pasar Ipuh" in page
        assert "Pasar Mukomuko" in page
        assert "Tanah Garam" not in page
        assert KEL_TANAH_GARAM not in page

    def test_admin_creates_a_secretary_with_a_temporary_password(self, app: Flask, client, admin):
        response = client.post("/admin/pengguna/baru", data=new_user_form())

        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Kata sandi sementara untuk dewi.sekdes" in page
        assert "hanya ditampilkan sekali" in page
        assert "no-store" in response.headers["Cache-Control"]
        temporary = shown_password(page)
        user = db.session.execute(
            db.select(User).where(User.username == "dewi.sekdes")
        ).scalar_one()
        assert (user.full_name, user.role, user.region_code) == (
            "Dewi Lestari",
            "sekretaris",
            DESA_PASAR_IPUH,
        )
        assert user.must_change_password is True
        assert user.active is True
        [entry] = db.session.execute(
            db.select(AuditEntry).where(
                AuditEntry.action == "user.create", AuditEntry.object_id == str(user.id)
            )
        ).scalars()
        assert entry.object_id == str(user.id)
        assert entry.user_id == admin.id
        assert entry.region_code == DESA_PASAR_IPUH
        # Shown once: the user's page does not repeat it.
        assert temporary not in client.get(f"/admin/pengguna/{user.id}").get_data(as_text=True)
        # The new user logs in with it and must change it first.
        newcomer = app.test_client()
        response = Auth(newcomer).login("dewi.sekdes", temporary)
        assert response.status_code == 302
        assert location(newcomer.get("/")) == "/akun/kata-sandi"

    def test_admin_may_set_the_first_password(self, client, admin):
        response = client.post(
            "/admin/pengguna/baru", data=new_user_form(password="padi-menguning-9")
        )

        assert response.status_code == 302
        user = db.session.execute(
            db.select(User).where(User.username == "dewi.sekdes")
        ).scalar_one()
        assert location(response) == f"/admin/pengguna/{user.id}"
        # The admin knows it: the user changes it at the first login (test_admin_password.py).
        assert user.must_change_password is True
        assert "Pengguna dewi.sekdes dibuat." in client.get(location(response)).get_data(
            as_text=True
        )

    def test_email_and_phone_are_kept(self, client, admin):
        response = client.post(
            "/admin/pengguna/baru",
            data=new_user_form(email="dewi@desa.example.id", phone="0812 3456 7890"),
        )

        assert response.status_code == 200
        user = db.session.execute(
            db.select(User).where(User.username == "dewi.sekdes")
        ).scalar_one()
        assert (user.email, user.phone) == ("dewi@desa.example.id", "0812 3456 7890")

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"username": "sudah.ada"}, "username", "Nama pengguna sudah dipakai."),
            ({"username": "SUDAH.ADA"}, "username", "Nama pengguna sudah dipakai."),
            (
                {"role": "camat", "region_code": DESA_PASAR_IPUH},
                "region_code",
                "Camat harus berwilayah satu kecamatan.",
            ),
            (
                {"role": "sekretaris", "region_code": KEC_IPUH},
                "region_code",
                "Sekretaris harus berwilayah satu desa/kelurahan.",
            ),
            (
                {"role": "admin", "region_code": KEC_IPUH},
                "region_code",
                "Admin dinas sosial harus berwilayah kabupaten/kota.",
            ),
            ({"password": "pendek1"}, "password", "Kata sandi minimal 10 karakter."),
            ({"username": "Ab"}, "username", None),
            # A tampered POST: Kota Solok's village is not among the admin's choices.
            ({"region_code": KEL_TANAH_GARAM}, "region_code", None),
            ({"region_code": "1372"}, "region_code", None),
            ({"role": "superadmin"}, "role", None),
            ({"email": "bukan-surel"}, "email", None),
        ],
    )
    def test_invalid_input_is_shown_and_nothing_is_written(
        self, client, admin, overrides, field, message
    ):
        make_user("sekretaris", DESA_AIR_BULUH, username="sudah.ada")
        before = user_count()
        audit_before = db.session.execute(
            db.select(db.func.count()).select_from(AuditEntry)
        ).scalar_one()

        response = client.post("/admin/pengguna/baru", data=new_user_form(**overrides))

        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert f'id="{field}-error"' in page
        if message:
            assert message in page
        db.session.expire_all()
        assert user_count() == before
        assert (
            db.session.execute(db.select(db.func.count()).select_from(AuditEntry)).scalar_one()
            == audit_before
        )


class TestEdit:
    def test_changing_role_and_region_ends_the_users_sessions(self, app: Flask, client, admin):
        user = make_user("sekretaris", DESA_PASAR_IPUH, full_name="Rina Wati")
        user_client = app.test_client()
        Auth(user_client).login_as(user)

        response = client.post(
            f"/admin/pengguna/{user.id}/ubah",
            data={
                "full_name": "Rina Wati",
                "role": "operator",
                "region_code": KEC_KOTA_MUKOMUKO,
                "email": "rina@example.org",
                "phone": "",
            },
        )

        assert response.status_code == 302
        assert location(response) == f"/admin/pengguna/{user.id}"
        changed = fresh(user)
        assert (changed.role, changed.region_code, changed.email) == (
            "operator",
            KEC_KOTA_MUKOMUKO,
            "rina@example.org",
        )
        assert "user.update" in audit_actions(user.id)
        assert location(user_client.get("/")) == "/masuk"
        # The password still works: the user logs in again into the new scope.
        Auth(user_client).login_as(changed)
        assert user_client.get(f"/wilayah/{KEC_KOTA_MUKOMUKO}").status_code == 200
        assert user_client.get(f"/wilayah/{DESA_PASAR_IPUH}").status_code == 404

    def test_changing_only_the_name_keeps_the_session(self, app: Flask, client, admin):
        user = make_user("sekretaris", DESA_PASAR_IPUH, full_name="Rina Wati")
        user_client = app.test_client()
        Auth(user_client).login_as(user)

        response = client.post(
            f"/admin/pengguna/{user.id}/ubah",
            data={
                "full_name": "Rina Wati Lubis",
                "role": "sekretaris",
                "region_code": user.region_code,
            },
        )

        assert response.status_code == 302
        assert fresh(user).full_name == "Rina Wati Lubis"
        assert "Rina Wati Lubis" in user_client.get("/").get_data(as_text=True)

    def test_moving_a_user_out_of_the_kabupaten_is_refused(self, client, admin):
        user = make_user("sekretaris", DESA_PASAR_IPUH)

        response = client.post(
            f"/admin/pengguna/{user.id}/ubah",
            data={"full_name": "X", "role": "sekretaris", "region_code": KEL_TANAH_GARAM},
        )

        assert response.status_code == 200
        assert 'id="region_code-error"' in response.get_data(as_text=True)
        assert fresh(user).region_code == DESA_PASAR_IPUH

    def test_admin_cannot_change_their_own_role_or_region(self, client, admin):
        response = client.post(
            f"/admin/pengguna/{admin.id}/ubah",
            data={"full_name": "Admin Mukomuko", "role": "camat", "region_code": KEC_IPUH},
        )

        assert response.status_code == 200
        assert "tidak dapat mengubah peran atau wilayah akun Anda sendiri" in response.get_data(
            as_text=True
        )
        assert fresh(admin).role == "admin"
        assert client.get("/").status_code == 200


class TestDisable:
    def test_admin_cannot_disable_themself(self, client, admin):
        response = client.post(f"/admin/pengguna/{admin.id}/aktif", data={"aktif": "0"})

        assert response.status_code == 302
        page = client.get(location(response)).get_data(as_text=True)
        assert "tidak dapat menonaktifkan akun Anda sendiri" in page
        assert fresh(admin).active is True
        assert client.get("/").status_code == 200

    def test_disable_and_enable_again(self, app: Flask, client, admin):
        user = make_user("sekretaris", DESA_PASAR_IPUH)

        response = client.post(f"/admin/pengguna/{user.id}/aktif", data={"aktif": "0"})
        assert response.status_code == 302
        assert "dinonaktifkan" in client.get(location(response)).get_data(as_text=True)
        assert fresh(user).active is False
        assert "dinonaktifkan" in Auth(app.test_client()).login(user.username).get_data(
            as_text=True
        )

        client.post(f"/admin/pengguna/{user.id}/aktif", data={"aktif": "1"})
        assert fresh(user).active is True
        assert Auth(app.test_client()).login(user.username).status_code == 302
        actions = audit_actions(user.id)
        assert actions.index("user.disable") < actions.index("user.enable")


def test_reset_password(app: Flask, client, admin):
    user = make_user("sekretaris", DESA_PASAR_IPUH)
    user_client = app.test_client()
    Auth(user_client).login_as(user)

    response = client.post(f"/admin/pengguna/{user.id}/reset-sandi")

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    temporary = shown_password(response.get_data(as_text=True))
    assert location(user_client.get("/")) == "/masuk"
    other = Auth(app.test_client())
    assert WRONG in other.login(user.username, PASSWORD).get_data(as_text=True)
    assert other.login(user.username, temporary).status_code == 302
    assert location(other.client.get("/")) == "/akun/kata-sandi"
    assert fresh(user).must_change_password is True
    assert "user.reset_password" in audit_actions(user.id)


class TestCamat:
    @pytest.fixture
    def camat(self, regions, auth) -> User:
        user = make_user("camat", KEC_IPUH, full_name="Camat Ipuh")
        auth.login_as(user)
        return user

    def test_sees_the_users_of_their_kecamatan(self, client, camat):
        inside = make_user("sekretaris", DESA_PASAR_IPUH, full_name="Sekdes Pasar Ipuh")
        outside = make_user("sekretaris", KEL_PASAR_MUKOMUKO, full_name="Lurah Pasar Mukomuko")

        listing = client.get("/admin/pengguna/").get_data(as_text=True)
        assert "Sekdes Pasar Ipuh" in listing
        assert "Lurah Pasar Mukomuko" not in listing
        assert "Tambah pengguna" not in listing
        page = client.get(f"/admin/pengguna/{inside.id}")
        assert page.status_code == 200
        assert "Sekdes Pasar Ipuh" in page.get_data(as_text=True)
        assert "Nonaktifkan" not in page.get_data(as_text=True)

        missing = client.get(f"/admin/pengguna/{outside.id}")
        assert missing.status_code == 404
        assert "Lurah Pasar Mukomuko" not in missing.get_data(as_text=True)

    def test_cannot_create_or_change(self, client, camat):
        inside = make_user("sekretaris", DESA_PASAR_IPUH)
        before = user_count()

        assert client.get("/admin/pengguna/baru").status_code == 403
        response = client.post(
            "/admin/pengguna/baru", data=new_user_form(region_code=DESA_AIR_BULUH)
        )
        assert response.status_code == 403
        assert "Akses ditolak" in response.get_data(as_text=True)
        assert client.get(f"/admin/pengguna/{inside.id}/ubah").status_code == 403
        assert (
            client.post(f"/admin/pengguna/{inside.id}/aktif", data={"aktif": "0"}).status_code
            == 403
        )
        assert client.post(f"/admin/pengguna/{inside.id}/reset-sandi").status_code == 403
        db.session.expire_all()
        assert user_count() == before
        assert fresh(inside).active is True
        assert fresh(inside).must_change_password is False


def test_secretary_cannot_open_user_administration(client, auth, regions):
    auth.login_as(make_user("sekretaris", DESA_PASAR_IPUH))

    response = client.get("/admin/pengguna/")

    assert response.status_code == 403
    assert "Akses ditolak" in response.get_data(as_text=True)


class TestSearch:
    @pytest.fixture
    def people(self, admin) -> None:
        make_user("sekretaris", DESA_PASAR_IPUH, username="siti", full_name="Siti Aminah")
        make_user("sekretaris", DESA_AIR_BULUH, username="budi", full_name="Budi Santoso")
        make_user("camat", KEC_IPUH, username="camat.ipuh", full_name="Camat Ipuh")

    def test_htmx_request_gets_the_table_fragment(self, client, people):
        response = client.get("/admin/pengguna/?q=aminah", headers={"HX-Request": "true"})

        assert response.status_code == 200
        fragment = response.get_data(as_text=True)
        assert "<html" not in fragment
        assert "Siti Aminah" in fragment
        assert "Budi Santoso" not in fragment
        assert "HX-Request" in response.headers["Vary"]

    def test_plain_request_gets_the_full_page(self, client, people):
        response = client.get("/admin/pengguna/?q=aminah")

        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "<html" in page
        assert 'id="tabel-pengguna"' in page
        assert "Siti Aminah" in page
        assert "Budi Santoso" not in page
        assert "HX-Request" in response.headers["Vary"]

    def test_search_by_username_and_role_filter(self, client, people):
        by_username = client.get("/admin/pengguna/?q=BUDI", headers={"HX-Request": "true"})
        assert "Budi Santoso" in by_username.get_data(as_text=True)
        assert "Siti Aminah" not in by_username.get_data(as_text=True)

        camat_only = client.get(
            "/admin/pengguna/?peran=camat", headers={"HX-Request": "true"}
        ).get_data(as_text=True)
        assert "Camat Ipuh" in camat_only
        assert "Siti Aminah" not in camat_only

    def test_no_match_says_so(self, client, people):
        fragment = client.get(
            "/admin/pengguna/?q=tidak-ada-siapa", headers={"HX-Request": "true"}
        ).get_data(as_text=True)
        assert "Tidak ada pengguna yang cocok." in fragment
