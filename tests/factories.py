"""Factory functions and the login helper, after flaskr's `auth` fixture.

The berita acara PDF of a locked meeting: real or cheap
--------------------------------------------------------
A real render (WeasyPrint) of the decided meeting costs 1.5-2.5 s; most tests of a locked meeting
never look at its PDF. The lock helpers (`tests.berita_acara.conftest.lock`,
`tests.review.conftest.build_locked`) take `real_pdf`:

- `real_pdf=False`: `cheap_pdf()` (tests/cheap_pdf.py) puts `render_cheap_pdf` in
  `pipeline.render_ba_pdf` for the job: one A4 page of one line, finished by the renderer's own
  `_finish` (the attached keputusan.json, the docinfo, the outline, the camat's box link as in a
  real render) and signed for real, so the verification, the camat's countersignature and the
  downloads see what they see on a real berita acara. Its `pages` is 1.
- `real_pdf=True`: the real render, as in production.

The `locked` fixtures (tests/berita_acara/conftest.py, tests/review/conftest.py and every fixture
built on them: `confirmed`, `returned`) ask the `real_pdf` fixture (tests/conftest.py): the cheap
PDF unless the test, its class or its module is marked `@pytest.mark.real_pdf`
(`pytestmark = pytest.mark.real_pdf` for a module). Mark a test real when it reads the PDF's
text, pages or page count, the rendered layout (the camat's stamp on its page, the QR code,
the running heads), or the renderer's timings; a test that passed with the real PDF and fails
with the cheap one needs the mark, never a changed assertion. So does a test that finds
something absent from the PDF's text: the cheap page lacks everything, it would pass for
nothing. A test that locks through a route or the CLI renders for real unless it asks for the
`cheap_pdf` fixture.

Real now: tests/berita_acara's test_lock, test_record_truth, test_forged_host, test_scan_rules,
test_verification and test_objections_corrections (and test_rendering, which renders itself).
Cheap: tests/review, entry, notifications, transparency, dashboard, main, the security modules
(the route matrix's world among them), meetings/test_as_signed.py, test_english_pages.py,
test_backup.py, the browser tests' `locked`, and berita_acara's test_sealed, test_verify_cli and
test_verify_transparency (what they check is the database, the signature and the attached list).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.blueprints.regions.services import import_regions
from portal.blueprints.users import services as users
from portal.blueprints.users.models import User
from portal.extensions import db
from tests.cheap_pdf import cheap_pdf as cheap_pdf  # re-exported: the lock helpers' switch
from tests.cheap_pdf import render_cheap_pdf as render_cheap_pdf

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
