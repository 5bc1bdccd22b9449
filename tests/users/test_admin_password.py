"""A password someone else chose is changed by its owner at the first login: the admin's (on
the users page) and the operator's (`flask users create --password`), unless the operator says
the account is their own (--own-password)."""

from __future__ import annotations

from urllib.parse import urlsplit

from portal.audit import AuditEntry
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.passwords import verify_password
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO, Auth, make_user
from tests.register.conftest import text_of

CHOSEN = "padi-menguning-9"
OWN = "sawah-hijau-2026"


def location(response) -> str:
    return urlsplit(response.headers["Location"]).path


def find(username: str) -> User:
    db.session.expire_all()
    return db.session.execute(db.select(User).where(User.username == username)).scalar_one()


def test_a_password_set_by_the_admin_is_changed_at_the_first_login(app, client, auth, regions):
    admin = make_user("admin", KAB_MUKOMUKO, username="admin.mukomuko")
    auth.login_as(admin)
    form = text_of(client.get("/admin/pengguna/baru"))
    assert "wajib menggantinya saat pertama masuk" in form
    response = client.post(
        "/admin/pengguna/baru",
        data={
            "username": "dewi.sekdes",
            "full_name": "Dewi Lestari",
            "role": "sekretaris",
            "region_code": DESA_PASAR_IPUH,
            "password": CHOSEN,
        },
    )
    assert response.status_code == 302
    user = find("dewi.sekdes")
    assert user.must_change_password is True
    assert verify_password(user.password_hash, CHOSEN)

    # Dewi logs in with the admin's password: every page leads to the change first.
    dewi = app.test_client()
    assert Auth(dewi).login("dewi.sekdes", CHOSEN).status_code == 302
    for path in ("/", "/musyawarah/"):
        assert location(dewi.get(path)) == "/akun/kata-sandi"
    page = text_of(dewi.get("/akun/kata-sandi"))
    assert "Buat kata sandi Anda sendiri untuk melanjutkan" in page

    response = dewi.post(
        "/akun/kata-sandi",
        data={"current_password": CHOSEN, "new_password": OWN, "confirm": OWN},
    )
    assert response.status_code == 302 and location(response) == "/"
    assert "Selamat datang, Dewi Lestari" in text_of(dewi.get("/"))
    user = find("dewi.sekdes")
    assert user.must_change_password is False
    assert verify_password(user.password_hash, OWN)
    assert not verify_password(user.password_hash, CHOSEN)
    actions = db.session.execute(
        db.select(AuditEntry.action)
        .where(AuditEntry.object_type == "user", AuditEntry.object_id == str(user.id))
        .order_by(AuditEntry.id)
    ).scalars()
    assert list(actions) == ["user.create", "auth.login", "user.change_password"]


def create(runner, *extra: str):
    return runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "admin.mukomuko",
            "--name",
            "Admin Dinsos Mukomuko",
            "--role",
            "admin",
            "--region",
            "17.06",
            *extra,
        ]
    )


def test_a_password_given_at_the_command_line_is_changed_at_the_first_login(app, runner, regions):
    result = create(runner, "--password", CHOSEN)
    assert result.exit_code == 0, result.output
    assert "Kata sandi awal wajib diganti saat pertama masuk." in result.output
    assert find("admin.mukomuko").must_change_password is True
    client = app.test_client()
    assert Auth(client).login("admin.mukomuko", CHOSEN).status_code == 302
    assert location(client.get("/")) == "/akun/kata-sandi"


def test_the_operators_own_account_keeps_the_password_they_chose(app, runner, regions):
    result = create(runner, "--password", CHOSEN, "--own-password")
    assert result.exit_code == 0, result.output
    assert "wajib diganti" not in result.output
    assert find("admin.mukomuko").must_change_password is False
    client = app.test_client()
    assert Auth(client).login("admin.mukomuko", CHOSEN).status_code == 302
    assert "Selamat datang, Admin Dinsos Mukomuko" in text_of(client.get("/"))


def test_own_password_needs_a_password(runner, regions):
    result = create(runner, "--own-password")
    assert result.exit_code == 2
    assert "--own-password hanya bersama --password" in result.output
    assert db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one() == 0
