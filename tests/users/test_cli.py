"""`flask users create`."""

from __future__ import annotations

import re

import pytest

from portal.audit import AuditEntry
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.passwords import verify_password
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO, make_user


def find(username: str) -> User | None:
    db.session.expire_all()
    return db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()


def user_count() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(User)).scalar_one()


def create(runner, *extra: str, region: str = "17.06", role: str = "admin"):
    return runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "admin.mukomuko",
            "--name",
            "Admin Dinsos Mukomuko",
            "--role",
            role,
            "--region",
            region,
            *extra,
        ]
    )


def test_create_with_password(runner, regions):
    result = create(runner, "--password", "padi-menguning-9", "--own-password")

    assert result.exit_code == 0, result.output
    assert "Pengguna admin.mukomuko (admin, 17.06) dibuat." in result.output
    assert "sementara" not in result.output
    user = find("admin.mukomuko")
    assert (user.role, user.region_code, user.full_name) == (
        "admin",
        KAB_MUKOMUKO,
        "Admin Dinsos Mukomuko",
    )
    assert user.must_change_password is False
    assert verify_password(user.password_hash, "padi-menguning-9")
    assert db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "user.create")
    ).scalar_one()


def test_create_without_password_prints_a_temporary_one(runner, regions, auth):
    result = create(runner, role="sekretaris", region=DESA_PASAR_IPUH)

    assert result.exit_code == 0, result.output
    match = re.search(r"Kata sandi sementara: (\S+)", result.output)
    assert match, result.output
    user = find("admin.mukomuko")
    assert user.role == "sekretaris"
    assert user.must_change_password is True
    assert auth.login("admin.mukomuko", match.group(1)).status_code == 302


@pytest.mark.parametrize(
    ("role", "region", "extra"),
    [
        ("admin", "99.99", ()),  # unknown region
        ("sekretaris", "17.06.05.9999", ()),  # unknown village
        ("admin", "bukan-kode", ()),
        ("camat", DESA_PASAR_IPUH, ()),  # a camat's region is a kecamatan
        ("admin", "17.06", ("--password", "pendek")),  # weak password
        ("raja", "17.06", ()),  # unknown role
    ],
)
def test_bad_input_fails_and_writes_nothing(runner, regions, role, region, extra):
    before = user_count()

    result = create(runner, *extra, role=role, region=region)

    assert result.exit_code != 0
    assert "dibuat" not in result.output
    assert find("admin.mukomuko") is None
    assert user_count() == before


def test_taken_username_fails(runner, regions):
    make_user("admin", KAB_MUKOMUKO, username="admin.mukomuko", full_name="Yang Lama")

    result = create(runner, "--password", "padi-menguning-9")

    assert result.exit_code != 0
    assert "sudah dipakai" in result.output
    assert find("admin.mukomuko").full_name == "Yang Lama"
