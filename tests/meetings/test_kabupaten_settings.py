"""The kabupaten's settings of issue 6 on the rules page: cycle window, stale months, public
transparency page."""

from __future__ import annotations

from portal.blueprints.meetings.models import KabupatenRules
from portal.extensions import db
from tests.factories import KAB_MUKOMUKO, make_user
from tests.register.conftest import text_of

BASE = {"quorum_num": "2", "quorum_den": "3", "majority_num": "1", "majority_den": "2"}


def test_admin_sets_cycle_stale_months_and_transparency(client, auth, regions) -> None:
    auth.login_as(make_user("admin", KAB_MUKOMUKO))
    page = text_of(client.get("/musyawarah/aturan"))
    assert "Siklus dan pemantauan" in page
    response = client.post(
        "/musyawarah/aturan", data={**BASE, "cycle_last_day": "20", "stale_months": "6"}
    )
    assert response.status_code == 302
    rules = db.session.get(KabupatenRules, KAB_MUKOMUKO)
    assert (rules.cycle_last_day, rules.stale_months, rules.public_transparency) == (20, 6, False)
    client.post(
        "/musyawarah/aturan",
        data={**BASE, "cycle_last_day": "14", "stale_months": "3", "public_transparency": "y"},
    )
    db.session.expire_all()
    rules = db.session.get(KabupatenRules, KAB_MUKOMUKO)
    assert (rules.cycle_last_day, rules.stale_months, rules.public_transparency) == (14, 3, True)


def test_out_of_range_settings_change_nothing(client, auth, regions) -> None:
    auth.login_as(make_user("admin", KAB_MUKOMUKO))
    response = client.post(
        "/musyawarah/aturan",
        data={**BASE, "cycle_last_day": "40", "stale_months": "0", "public_transparency": "y"},
    )
    body = text_of(response)
    assert response.status_code == 200
    assert "Isi tanggal 1–31." in body and "Isi 1–24 bulan." in body
    assert db.session.get(KabupatenRules, KAB_MUKOMUKO) is None
