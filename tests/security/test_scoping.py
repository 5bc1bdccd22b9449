"""Region scoping: a user sees and touches only what lies under their region code.

A world of users in two villages of one kecamatan (Ipuh), two kecamatan of one kabupaten
(Ipuh, Kota Mukomuko) and two kabupaten/kota (Mukomuko, Kota Solok). For every viewer, every
object URL of every region outside their scope answers 404 (403 where the role lacks the
capability, whatever the object), and no answer names a user of another region.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.audit import AuditEntry
from portal.blueprints.regions.models import Region, dotted
from portal.blueprints.users import services as user_services
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.passwords import hash_password
from tests.factories import (
    DESA_AIR_BULUH,
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    KEC_IPUH,
    KEC_KOTA_MUKOMUKO,
    KEC_LUBUK_SIKARAH,
    KEL_PASAR_MUKOMUKO,
    KEL_TANAH_GARAM,
    KOTA_SOLOK,
    PASSWORD,
    Auth,
    make_user,
)

# username: (role, region, full name). Names are distinct words so that no name is part of
# another and a leak is found by a plain substring test.
PEOPLE: dict[str, tuple[str, str, str]] = {
    "admin_mukomuko": ("admin", KAB_MUKOMUKO, "Arif Kabmuko"),
    "admin_solok": ("admin", KOTA_SOLOK, "Bagus Kotasolok"),
    "camat_ipuh": ("camat", KEC_IPUH, "Cahya Kecipuh"),
    "camat_kotamuko": ("camat", KEC_KOTA_MUKOMUKO, "Dimas Keckota"),
    "camat_sikarah": ("camat", KEC_LUBUK_SIKARAH, "Eka Kecsikarah"),
    "sek_pasaripuh": ("sekretaris", DESA_PASAR_IPUH, "Fajar Despasar"),
    "sek_airbuluh": ("sekretaris", DESA_AIR_BULUH, "Gita Desbuluh"),
    "sek_pasarmuko": ("sekretaris", KEL_PASAR_MUKOMUKO, "Hadi Kelmuko"),
    "sek_tanahgaram": ("sekretaris", KEL_TANAH_GARAM, "Indah Kelgaram"),
    "op_kecipuh": ("operator", KEC_IPUH, "Joko Opkec"),
    "op_airbuluh": ("operator", DESA_AIR_BULUH, "Kiki Opdes"),
}


@dataclass
class Person:
    id: int
    username: str
    role: str
    region_code: str
    full_name: str

    def covers(self, code: str) -> bool:
        return code.startswith(self.region_code)

    @property
    def names(self) -> tuple[str, str]:
        return self.username, self.full_name


@pytest.fixture
def world(regions, monkeypatch: pytest.MonkeyPatch) -> dict[str, Person]:
    people = {}
    # One argon2 hash for everybody (same password): eleven would make each test slow.
    password_hash = hash_password(PASSWORD)
    with monkeypatch.context() as patch:
        patch.setattr(user_services, "hash_password", lambda _password: password_hash)
        for username, (role, region, full_name) in PEOPLE.items():
            user = make_user(role, region, username=username, full_name=full_name)
            people[username] = Person(user.id, username, role, region, full_name)
    return people


def client_for(app: Flask, person: Person) -> FlaskClient:
    client = app.test_client()
    Auth(client).login_as(db.session.get(User, person.id))
    assert client.get("/").status_code == 200, person.username
    return client


def outsiders(world: dict[str, Person], viewer: Person) -> list[Person]:
    return [p for p in world.values() if not viewer.covers(p.region_code)]


def insiders(world: dict[str, Person], viewer: Person) -> list[Person]:
    return [p for p in world.values() if viewer.covers(p.region_code)]


def main_of(page: str) -> str:
    """The page's own content, without the menu and footer (whose forms echo the URL)."""
    if '<main id="isi"' not in page:
        return page
    return page.split('<main id="isi"', 1)[1].split("</main>", 1)[0]


def all_region_codes() -> list[str]:
    return list(db.session.execute(db.select(Region.code).order_by(Region.code)).scalars())


def user_state(person: Person) -> tuple[object, ...]:
    db.session.expire_all()
    user = db.session.get(User, person.id)
    return (
        user.active,
        user.session_token,
        user.password_hash,
        user.must_change_password,
        user.role,
        user.region_code,
        user.full_name,
    )


def audit_count() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(AuditEntry)).scalar_one()


# Which roles hold which capability, written out here rather than read from portal.access,
# so that a wrong change there fails these tests.
ROLES_WITH = {
    "view_users": {"admin", "camat"},
    "manage_users": {"admin"},
}


def expected_status(viewer: Person, capability: str) -> int:
    """Out-of-scope objects are missing (404); a role without the capability is refused first."""
    return 404 if viewer.role in ROLES_WITH[capability] else 403


def user_requests(person: Person) -> list[tuple[str, str, dict[str, str], str]]:
    """(method, url, form data, capability) for every URL of one user object."""
    base = f"/admin/pengguna/{person.id}"
    tampered_edit = {
        "full_name": "Diambil Alih",
        "role": person.role,
        "region_code": person.region_code,
    }
    return [
        ("GET", base, {}, "view_users"),
        ("GET", f"{base}/ubah", {}, "manage_users"),
        ("POST", f"{base}/ubah", tampered_edit, "manage_users"),
        ("POST", f"{base}/aktif", {"aktif": "0"}, "manage_users"),
        ("POST", f"{base}/aktif", {"aktif": "1"}, "manage_users"),
        ("POST", f"{base}/reset-sandi", {}, "manage_users"),
    ]


@pytest.mark.parametrize("viewer_name", list(PEOPLE))
def test_user_objects_outside_scope_are_hidden_and_untouched(app, world, viewer_name):
    viewer = world[viewer_name]
    client = client_for(app, viewer)
    others = outsiders(world, viewer)
    assert others, "every viewer has someone outside their scope"
    states = {p.username: user_state(p) for p in others}
    audit_before = audit_count()

    for other in others:
        for method, url, data, capability in user_requests(other):
            response = client.open(url, method=method, data=data)
            body = response.get_data(as_text=True)
            assert response.status_code == expected_status(viewer, capability), (
                viewer_name,
                method,
                url,
            )
            for outsider in others:
                for name in outsider.names:
                    assert name not in body, (viewer_name, method, url, name)
            fragment = client.open(url, method=method, data=data, headers={"HX-Request": "true"})
            assert fragment.status_code == response.status_code, (viewer_name, method, url)
            assert other.full_name not in fragment.get_data(as_text=True)

    assert {p.username: user_state(p) for p in others} == states
    assert audit_count() == audit_before
    assert client.get("/").status_code == 200, "the viewer's own session is unharmed"


@pytest.mark.parametrize("viewer_name", list(PEOPLE))
def test_user_objects_inside_scope_answer_for_roles_that_may_see_them(app, world, viewer_name):
    """The counterpart that keeps the test above honest: in scope, the same URLs work."""
    viewer = world[viewer_name]
    client = client_for(app, viewer)
    for other in insiders(world, viewer):
        response = client.get(f"/admin/pengguna/{other.id}")
        if viewer.role in ROLES_WITH["view_users"]:
            assert response.status_code == 200, (viewer_name, other.username)
            assert other.full_name in response.get_data(as_text=True)
        else:
            assert response.status_code == 403


@pytest.mark.parametrize("viewer_name", list(PEOPLE))
def test_region_pages_outside_scope_answer_404(app, world, viewer_name):
    viewer = world[viewer_name]
    client = client_for(app, viewer)
    codes = all_region_codes()
    hidden = [c for c in codes if not viewer.covers(c)]
    visible = [c for c in codes if viewer.covers(c)]
    assert hidden
    assert visible
    others = outsiders(world, viewer)
    names = dict(db.session.execute(db.select(Region.code, Region.name)).all())

    for code in hidden:
        for url in (f"/wilayah/{code}", f"/wilayah/{dotted(code)}", f"/wilayah/{code}?q=a"):
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, headers=headers)
                assert response.status_code == 404, (viewer_name, url, headers)
                body = response.get_data(as_text=True)
                main = main_of(body)
                assert dotted(code) not in main, (viewer_name, url)
                assert names[code] not in main, (viewer_name, url)
                for outsider in others:
                    for name in outsider.names:
                        assert name not in body, (viewer_name, url, name)
    for code in visible:
        assert client.get(f"/wilayah/{code}").status_code == 200, (viewer_name, code)


def test_camat_of_ipuh_cannot_reach_kota_mukomuko(app, world):
    client = client_for(app, world["camat_ipuh"])
    for code in (KEC_KOTA_MUKOMUKO, KEL_PASAR_MUKOMUKO, "1706022007", KAB_MUKOMUKO, "17"):
        assert client.get(f"/wilayah/{code}").status_code == 404, code
    for username in ("camat_kotamuko", "sek_pasarmuko", "admin_mukomuko"):
        response = client.get(f"/admin/pengguna/{world[username].id}")
        assert response.status_code == 404, username
        assert world[username].full_name not in response.get_data(as_text=True)
    # Its own kecamatan lists only its own villages.
    page = client.get(f"/wilayah/{KEC_IPUH}").get_data(as_text=True)
    assert "Pasar Ipuh" in page
    assert "Pasar Sebelah" not in page
    assert "Pasar Mukomuko" not in page


def test_a_missing_object_looks_like_an_object_outside_scope(app, world):
    client = client_for(app, world["admin_mukomuko"])
    outside = client.get(f"/admin/pengguna/{world['admin_solok'].id}")
    missing = client.get("/admin/pengguna/999999")
    assert outside.status_code == missing.status_code == 404
    assert main_of(outside.get_data(as_text=True)) == main_of(missing.get_data(as_text=True))


LISTINGS = [
    "/admin/pengguna/",
    "/admin/pengguna/?q=a",
    "/admin/pengguna/?peran=sekretaris",
    "/admin/pengguna/?peran=camat",
    "/admin/pengguna/?peran=admin",
    "/admin/pengguna/?halaman=2",
]


@pytest.mark.parametrize(
    "viewer_name", [name for name, (role, _r, _n) in PEOPLE.items() if role in ("admin", "camat")]
)
def test_user_listings_never_show_another_regions_users(app, world, viewer_name):
    viewer = world[viewer_name]
    client = client_for(app, viewer)
    others = outsiders(world, viewer)

    for url in LISTINGS:
        for headers in ({}, {"HX-Request": "true"}):
            body = client.get(url, headers=headers).get_data(as_text=True)
            for outsider in others:
                for name in outsider.names:
                    assert name not in body, (viewer_name, url, headers, name)
    # Searching for an outsider by name finds nothing.
    for outsider in others:
        body = client.get(
            f"/admin/pengguna/?q={outsider.username}", headers={"HX-Request": "true"}
        ).get_data(as_text=True)
        assert "Tidak ada pengguna yang cocok." in body, (viewer_name, outsider.username)
    # And the listing does show everyone inside the scope.
    listing = client.get("/admin/pengguna/").get_data(as_text=True)
    for insider in insiders(world, viewer):
        assert insider.full_name in listing, (viewer_name, insider.username)


@pytest.mark.parametrize(
    ("admin_name", "own_village", "foreign_village"),
    [
        ("admin_mukomuko", "Pasar Ipuh", "Tanah Garam"),
        ("admin_solok", "Tanah Garam", "Pasar Ipuh"),
    ],
)
def test_admin_forms_offer_only_their_own_regions(
    app, world, admin_name, own_village, foreign_village
):
    client = client_for(app, world[admin_name])
    for url in ("/admin/pengguna/baru", f"/admin/pengguna/{world[admin_name].id}/ubah"):
        page = client.get(url).get_data(as_text=True)
        assert own_village in page, url
        assert foreign_village not in page, url


def test_admin_cannot_create_a_user_in_another_kabupaten(app, world):
    client = client_for(app, world["admin_mukomuko"])
    for role, code in (
        ("sekretaris", KEL_TANAH_GARAM),
        ("camat", KEC_LUBUK_SIKARAH),
        ("admin", KOTA_SOLOK),
    ):
        response = client.post(
            "/admin/pengguna/baru",
            data={
                "username": "penyusup",
                "full_name": "Penyusup",
                "role": role,
                "region_code": code,
            },
        )
        assert response.status_code == 200
        assert 'id="region_code-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert (
        db.session.execute(db.select(User).where(User.username == "penyusup")).scalar_one_or_none()
        is None
    )


@pytest.mark.parametrize(
    ("viewer_name", "shown", "hidden"),
    [
        ("camat_ipuh", "Pulau Baru", ["Pasar Sebelah", "VI Suku"]),
        ("camat_kotamuko", "Pasar Sebelah", ["Pulau Baru", "VI Suku"]),
        ("admin_mukomuko", "Pulau Baru", ["VI Suku"]),
        ("admin_solok", "VI Suku", ["Pulau Baru", "Pasar Sebelah"]),
    ],
)
def test_home_pages_list_only_villages_in_scope(app, world, viewer_name, shown, hidden):
    # Villages without a secretary: Pulau Baru (Ipuh), Pasar Sebelah (Kota Mukomuko), VI Suku.
    page = client_for(app, world[viewer_name]).get("/").get_data(as_text=True)
    assert shown in page
    for name in hidden:
        assert name not in page
    for outsider in outsiders(world, world[viewer_name]):
        assert outsider.full_name not in page
