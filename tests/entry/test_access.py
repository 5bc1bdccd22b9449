"""Who reaches the operator's pages: the operator of the meeting's village or kecamatan only;
other roles 403, operators elsewhere 404, anonymous to the login page; unconfirmed meetings 404."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.blueprints.entry.models import EntryMark
from portal.extensions import db
from tests.entry.conftest import household_id


def urls(meeting_id: int, hid: int) -> list[tuple[str, str]]:
    return [
        ("get", "/entri/"),
        ("get", f"/entri/{meeting_id}"),
        ("get", f"/entri/{meeting_id}/berita-acara.pdf"),
        ("get", f"/entri/{meeting_id}/pindaian"),
        ("get", f"/entri/{meeting_id}/keputusan.xlsx"),
        ("get", f"/entri/{meeting_id}/keputusan.csv"),
        ("post", f"/entri/{meeting_id}/keluarga/{hid}"),
        ("post", f"/entri/{meeting_id}/tandai"),
    ]


def _call(client, method: str, url: str):
    if method == "post":
        return client.post(url, data={"status": "entered", "keluarga": ["1"]})
    return client.get(url)


@pytest.mark.parametrize("role", ["camat", "sekretaris", "admin"])
def test_other_roles_are_forbidden(client, auth, users, confirmed, register, role) -> None:
    meeting, _review = confirmed
    auth.login_as(users[role])
    for method, url in urls(meeting.id, household_id(register[5].kk)):
        assert _call(client, method, url).status_code == 403, url
    assert db.session.execute(select(func.count(EntryMark.id))).scalar_one() == 0


def test_anonymous_goes_to_the_login_page(client, confirmed, register) -> None:
    meeting, _review = confirmed
    for method, url in urls(meeting.id, household_id(register[5].kk)):
        response = _call(client, method, url)
        assert response.status_code == 302 and "/masuk" in response.location, url


def test_an_operator_elsewhere_sees_nothing_of_pasar_ipuh(
    client, auth, users, confirmed, register
) -> None:
    meeting, _review = confirmed
    auth.login_as(users["other_operator"])
    inbox = client.get("/entri/").get_data(as_text=True)
    assert meeting.number not in inbox and "Pasar Ipuh" not in inbox
    for method, url in urls(meeting.id, household_id(register[5].kk))[1:]:
        assert _call(client, method, url).status_code == 404, url
    assert db.session.execute(select(func.count(EntryMark.id))).scalar_one() == 0


def test_the_kecamatan_operator_works_on_the_village_meeting(
    client, auth, users, confirmed, register
) -> None:
    meeting, _review = confirmed
    auth.login_as(users["operator_kecamatan"])
    assert meeting.number in client.get("/entri/").get_data(as_text=True)
    hid = household_id(register[5].kk)
    response = client.post(f"/entri/{meeting.id}/keluarga/{hid}", data={"status": "entered"})
    assert response.status_code == 302
    assert db.session.execute(select(func.count(EntryMark.id))).scalar_one() == 1


@pytest.mark.parametrize("fixture", ["locked", "returned"])
def test_an_unconfirmed_meeting_is_not_open_for_entry(
    client, auth, users, register, request, fixture
) -> None:
    meeting = request.getfixturevalue(fixture)[0]
    auth.login_as(users["operator"])
    assert meeting.number not in client.get("/entri/").get_data(as_text=True)
    for method, url in urls(meeting.id, household_id(register[5].kk))[1:]:
        assert _call(client, method, url).status_code == 404, url
    assert db.session.execute(select(func.count(EntryMark.id))).scalar_one() == 0


def test_a_family_outside_the_decided_list_cannot_be_marked(
    client, operator, confirmed, register
) -> None:
    meeting, _review = confirmed
    from portal.blueprints.register.models import Household
    from tests.factories import DESA_AIR_BULUH

    elsewhere = (
        db.session.execute(select(Household.id).where(Household.village_code == DESA_AIR_BULUH))
        .scalars()
        .first()
    )
    response = client.post(f"/entri/{meeting.id}/keluarga/{elsewhere}", data={"status": "entered"})
    assert response.status_code == 404
    response = client.post(
        f"/entri/{meeting.id}/tandai",
        data={"status": "entered", "keluarga": [str(elsewhere), str(household_id(register[5].kk))]},
        follow_redirects=True,
    )
    assert "tidak ada dalam daftar keputusan" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count(EntryMark.id))).scalar_one() == 0
