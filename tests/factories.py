"""Factory functions and the login helper, after flaskr's `auth` fixture."""

from __future__ import annotations

import itertools
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.blueprints.regions.services import import_regions
from portal.blueprints.users import services as users
from portal.blueprints.users.models import User
from portal.extensions import db

PASSWORD = "sandi-uji-2026"
_counter = itertools.count(1)

# Regions of tests/data/regions_small.csv, by the names the tests use.
KAB_MUKOMUKO = "1706"
KEC_IPUH = "170605"
KEC_KOTA_MUKOMUKO = "170602"
DESA_PASAR_IPUH = "1706052006"
DESA_AIR_BULUH = "1706052004"
KEL_PASAR_MUKOMUKO = "1706021009"
KOTA_SOLOK = "1372"
KEC_LUBUK_SIKARAH = "137201"
KEL_TANAH_GARAM = "1372011001"


def load_regions(path: Path) -> None:
    report = import_regions(path)
    assert report.ok, report.errors
    db.session.commit()


def make_user(
    role: str,
    region_code: str,
    *,
    username: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
    must_change_password: bool = False,
    full_name: str | None = None,
) -> User:
    username = username or f"{role}{next(_counter)}"
    user, _ = users.create_user(
        users.UserData(username, full_name or f"Pengguna {username}", role, region_code),
        password=password,
    )
    user.active = active
    user.must_change_password = must_change_password
    db.session.commit()
    return user


class Auth:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = PASSWORD, **kwargs: object) -> TestResponse:
        return self.client.post(
            "/masuk", data={"username": username, "password": password}, **kwargs
        )

    def login_as(self, user: User) -> TestResponse:
        """Log in as `user` (whoever was logged in before is logged out first)."""
        self.logout()
        response = self.login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self) -> TestResponse:
        return self.client.post("/keluar")
