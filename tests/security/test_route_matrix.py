"""The authorization matrix (issue 7): every route of the URL map, asked by every principal.

One world is built once for the module: region A is Desa Pasar Ipuh (Kecamatan Ipuh, Kabupaten
Mukomuko), region B is Kelurahan Tanah Garam (Kota Solok). Each has a register with a family of
distinctive names, a meeting that went all the way (decided, locked with its berita acara and a
scan, confirmed by the camat), a proposal photo, a notification, a cancelled import and a user
to act upon. The principals are an anonymous visitor, every role of A's scope, users of the
same kabupaten outside A ("near": another desa, another kecamatan) and every role of region B.

`RULES` classifies every (endpoint, method) of the URL map: how to build its URL from a region's
objects and who may get what. A route missing from `RULES` fails
`test_every_route_is_classified`. For every case the answer must be the expected one:

- login: anonymous goes to the login page (302 to /masuk, or 401);
- 403: the role lacks the capability;
- 404: the object lies outside the principal's scope (or is not theirs: notifications);
- ok: below 400 (a POST may also answer 400/409/422 for its empty form), never 403/404/500.

Every GET is asked again as htmx (the fragment must answer the same way, never 500). No answer,
full page or fragment, headers included, shows a NIK/KK, a distinctive family name, a meeting
number or a village user of a village the principal does not cover (A, B, and Air Buluh beside
A); public pages never show a NIK or KK in full.

POSTs carry empty or invalid forms. Those of the meetings blueprint go to a cancelled meeting
(a sealed one answers 409 before the view, see
test_a_sealed_meeting_refuses_changes_inside_its_scope_only); the others go to the confirmed
meeting and the cancelled import. An allowed principal is refused by the object's state or the
form, and the world stays the same for the next case (`test_the_world_is_unchanged`).
"""

from __future__ import annotations

import io
import shutil
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask, g
from flask.signals import request_started
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from portal import create_app
from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.meetings import services as meeting_services
from portal.blueprints.meetings.models import (
    KabupatenRules,
    Meeting,
    Participant,
    Proposal,
    Vote,
)
from portal.blueprints.notifications.models import Notification
from portal.blueprints.register import services as register_services
from portal.blueprints.register import tasks as register_tasks
from portal.blueprints.register.models import Household, Person, RegisterImport
from portal.blueprints.users.models import User
from portal.demo import synthetic
from portal.extensions import db
from tests.berita_acara.conftest import build_decided, lock
from tests.conftest import HERE, PG_URL, base_config, truncate_all
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
    Auth,
    load_regions,
    make_user,
)
from tests.meetings.conftest import families, invite, meeting_data
from tests.register.conftest import csv_bytes, family_rows, seed_register, village_of
from tests.review.conftest import confirm

# --- principals ------------------------------------------------------------------------------

ANONYMOUS = "anonymous"

# key: (role, region, full name). Full names are distinct words: a leak is a substring.
PRINCIPALS: dict[str, tuple[str | None, str | None, str | None]] = {
    ANONYMOUS: (None, None, None),
    # Region A's scope.
    "admin": ("admin", KAB_MUKOMUKO, "Arif Kabmuko"),
    "sekretaris": ("sekretaris", DESA_PASAR_IPUH, "Fajar Despasar"),
    "camat": ("camat", KEC_IPUH, "Cahya Kecipuh"),
    "operator": ("operator", DESA_PASAR_IPUH, "Gilang Opdesa"),
    "operator_kecamatan": ("operator", KEC_IPUH, "Joko Opkec"),
    # The same kabupaten, outside A.
    "near_sekretaris": ("sekretaris", DESA_AIR_BULUH, "Gita Desbuluh"),
    "near_camat": ("camat", KEC_KOTA_MUKOMUKO, "Dimas Keckota"),
    "near_operator": ("operator", KEL_PASAR_MUKOMUKO, "Hadi Opmuko"),
    # Region B: another kabupaten/kota.
    "b_admin": ("admin", KOTA_SOLOK, "Bagus Kotasolok"),
    "b_sekretaris": ("sekretaris", KEL_TANAH_GARAM, "Indah Kelgaram"),
    "b_camat": ("camat", KEC_LUBUK_SIKARAH, "Eka Kecsikarah"),
    "b_operator": ("operator", KEC_LUBUK_SIKARAH, "Kiki Opsikarah"),
}
# Who asks for region B's objects as well: A's own users (B's users ask for A's).
A_SCOPE = ("admin", "sekretaris", "camat", "operator", "operator_kecamatan")


@dataclass
class Principal:
    key: str
    role: str | None
    region: str | None
    full_name: str | None
    user_id: int | None = None

    @property
    def anonymous(self) -> bool:
        return self.role is None

    def covers(self, code: str) -> bool:
        return self.region is not None and code.startswith(self.region)


# --- the world ---------------------------------------------------------------------------------


@dataclass
class Side:
    """The objects of one region, and the strings that must never reach anyone outside it."""

    name: str
    village: str
    kecamatan: str
    family_name: str = ""
    meeting_id: int = 0
    household_id: int = 0
    proposal_id: int = 0
    participant_id: int = 0
    # A cancelled meeting with a participant and an open proposal: not sealed, so a change
    # reaches the view's own checks (scope, capability), and then its state refuses it.
    open_meeting_id: int = 0
    open_proposal_id: int = 0
    open_participant_id: int = 0
    user_id: int = 0
    import_id: int = 0
    notification_id: int = 0
    notification_owner: str = ""
    verify_code: str = ""
    markers: list[str] = field(default_factory=list)
    identity_numbers: list[str] = field(default_factory=list)


# Region A's and B's distinctive families: (kk, [(nik, name, relation)]). The KKs sort first in
# their village, so each family is the first one its meeting decides about.
FAMILY_A = (
    "1706050000000017",
    [
        ("1706051203850007", "Zulkarnaen Rahasia", "KEPALA KELUARGA"),
        ("1706055507880008", "Yuliani Rahasia", "ISTRI"),
    ],
)
FAMILY_B = (
    "1372010000000019",
    [
        ("1372011408790003", "Wiranata Tersembunyi", "KEPALA KELUARGA"),
        ("1372015910820004", "Kemala Tersembunyi", "ISTRI"),
    ],
)
TARGET_USERS = {"A": "Sasaran Pasaripuh", "B": "Sasaran Tanahgaram"}
MEETING_NUMBERS = {"A": "005/BA-MD/XI/2026", "B": "009/MUSKEL-TG/XI/2026"}
CANCELLED_NUMBERS = {"A": "006/BATAL-PI/XI/2026", "B": "010/BATAL-TG/XI/2026"}


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    return buffer.getvalue()


class World:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.principals: dict[str, Principal] = {}
        self.sides: dict[str, Side] = {}
        self._clients: dict[str, FlaskClient] = {}
        self.initial_state: dict[str, Any] = {}
        # Village code -> the strings nobody outside that village's scope may see.
        self.markers: dict[str, list[str]] = {}
        self.identity_numbers: list[str] = []  # of every marked village
        self.broken = ""  # the traceback, when the world could not be built

    def client(self, key: str) -> FlaskClient:
        if key not in self._clients:
            client = self.app.test_client()
            principal = self.principals[key]
            if not principal.anonymous:
                Auth(client).login_as(db.session.get(User, principal.user_id))
            self._clients[key] = client
        return self._clients[key]

    def forget_client(self, key: str) -> None:
        """After a logout: the next request logs in again."""
        self._clients.pop(key, None)


def seed_village(code: str, family: tuple[str, list[tuple[str, str, str]]], count: int, seed: int):
    village = village_of(code)
    rows, _ = synthetic.generate([village], families_per_village=count, seed=seed)
    kk, members = family
    rows += family_rows(village, kk=kk, members=members)
    seed_register(csv_bytes(rows), code)


def build_side(
    name: str,
    village: str,
    kecamatan: str,
    family: tuple[str, list[tuple[str, str, str]]],
    *,
    sekretaris: User,
    camat: User,
    target_user: User,
    small: bool,
) -> Side:
    kk, members = family
    households = families(village)
    assert households[0].kk == kk, "the distinctive family is the first one decided"
    meeting = build_decided(
        sekretaris, households[:1] if small else households, number=MEETING_NUMBERS[name]
    )
    proposal = (
        db.session.execute(
            select(Proposal).where(Proposal.meeting_id == meeting.id).order_by(Proposal.id)
        )
        .scalars()
        .first()
    )
    meeting_services.attach_photo(proposal, png_bytes())
    db.session.commit()
    ba = lock(meeting, sekretaris, real_pdf=False)
    assert ba.status == "done", ba.error
    meeting = db.session.get(Meeting, meeting.id)
    ba_services.attach_scan(meeting, png_bytes(), user=sekretaris)
    db.session.commit()
    confirm(meeting, camat)

    # An import of the village, validated (with one rejected row) and cancelled.
    rows, _ = synthetic.generate(
        [village_of(village)], families_per_village=2, seed=99, damage={"nik_short": 1}
    )
    record = register_services.create_import(
        user=sekretaris, scope_code=village, filename="prelist.csv", data=csv_bytes(rows)
    )
    db.session.commit()
    register_tasks.validate_import(record.id)
    db.session.expire_all()
    record = db.session.get(RegisterImport, record.id)
    register_services.cancel_import(record, user=sekretaris)
    db.session.commit()

    cancelled = build_cancelled(name, village, sekretaris)

    notification = (
        db.session.execute(
            select(Notification).where(Notification.user_id == camat.id).order_by(Notification.id)
        )
        .scalars()
        .first()
    )
    assert notification is not None, "the camat was told of the locked berita acara"
    meeting = db.session.get(Meeting, meeting.id)
    household = db.session.execute(select(Household).where(Household.kk == kk)).scalar_one()

    markers = [
        *(name for _, name, _ in members),
        MEETING_NUMBERS[name],
        CANCELLED_NUMBERS[name],
        *village_markers(village),
    ]
    return Side(
        name=name,
        village=village,
        kecamatan=kecamatan,
        family_name=members[0][1],
        meeting_id=meeting.id,
        household_id=household.id,
        proposal_id=proposal.id,
        participant_id=meeting.participants[0].id,
        open_meeting_id=cancelled[0],
        open_proposal_id=cancelled[1],
        open_participant_id=cancelled[2],
        user_id=target_user.id,
        import_id=record.id,
        notification_id=notification.id,
        verify_code=ba_services.of_meeting(meeting.id).verify_code,
        markers=markers,
        identity_numbers=identity_numbers(village),
    )


def identity_numbers(village: str) -> list[str]:
    """Every No. KK and NIK of the village's register."""
    rows = db.session.execute(
        select(Household.kk, Person.nik)
        .join(Person, Person.household_id == Household.id)
        .where(Household.village_code == village)
    ).all()
    return sorted({kk for kk, _ in rows} | {nik for _, nik in rows})


def village_markers(village: str) -> list[str]:
    """What only the village's scope may see: its NIKs and KKs, the names of its users.
    (Synthetic family names are not markers: two villages may share one.)"""
    users = db.session.execute(select(User.full_name).where(User.region_code == village))
    return [*identity_numbers(village), *users.scalars()]


def build_cancelled(name: str, village: str, sekretaris: User) -> tuple[int, int, int]:
    """Scheduled with an invitee and a proposal, then cancelled: every change is refused."""
    meeting = meeting_services.create_meeting(
        # Another period: the confirmed meeting of November decided the village's families.
        village,
        meeting_data(number=CANCELLED_NUMBERS[name], period="2026-12"),
        user=sekretaris,
    )
    participant = invite(meeting, "Peserta Batal", user=sekretaris)
    meeting_services.move(meeting, "schedule", user=sekretaris)
    proposal = meeting_services.add_removal(
        meeting,
        families(village)[0],
        reason="pindah",
        reason_text=None,
        proposer="rt_rw",
        proposer_name=None,
        note=None,
        user=sekretaris,
    )
    meeting_services.move(meeting, "cancel", user=sekretaris)
    db.session.commit()
    return meeting.id, proposal.id, participant.id


def build_world(world: World) -> None:
    load_regions(HERE / "data" / "regions_small.csv")
    users: dict[str, User] = {}
    for key, (role, region, full_name) in PRINCIPALS.items():
        if role is not None:
            users[key] = make_user(role, region, username=key, full_name=full_name)
        world.principals[key] = Principal(
            key, role, region, full_name, users[key].id if key in users else None
        )
    targets = {
        "A": make_user(
            "operator", DESA_PASAR_IPUH, username="sasaran_a", full_name=TARGET_USERS["A"]
        ),
        "B": make_user(
            "operator", KEL_TANAH_GARAM, username="sasaran_b", full_name=TARGET_USERS["B"]
        ),
    }

    seed_village(DESA_PASAR_IPUH, FAMILY_A, 8, 11)
    seed_village(KEL_TANAH_GARAM, FAMILY_B, 3, 13)
    rows, _ = synthetic.generate([village_of(DESA_AIR_BULUH)], families_per_village=2, seed=12)
    seed_register(csv_bytes(rows), DESA_AIR_BULUH)

    world.sides["A"] = build_side(
        "A",
        DESA_PASAR_IPUH,
        KEC_IPUH,
        FAMILY_A,
        sekretaris=users["sekretaris"],
        camat=users["camat"],
        target_user=targets["A"],
        small=False,
    )
    world.sides["A"].notification_owner = "camat"
    world.sides["B"] = build_side(
        "B",
        KEL_TANAH_GARAM,
        KEC_LUBUK_SIKARAH,
        FAMILY_B,
        sekretaris=users["b_sekretaris"],
        camat=users["b_camat"],
        target_user=targets["B"],
        small=True,
    )
    world.sides["B"].notification_owner = "b_camat"
    world.markers = {side.village: side.markers for side in world.sides.values()}
    # Air Buluh (Ipuh, beside A): the camat and admin of A see it, A's village users do not.
    world.markers[DESA_AIR_BULUH] = village_markers(DESA_AIR_BULUH)
    world.identity_numbers = [n for code in world.markers for n in identity_numbers(code)]


def world_state() -> dict[str, Any]:
    """What no case may change: meetings and their states, the register, imports, rules."""
    db.session.expire_all()
    return {
        "meetings": sorted(
            db.session.execute(select(Meeting.id, Meeting.state, Meeting.version)).all()
        ),
        "participants": sorted(
            db.session.execute(select(Participant.id, Participant.present)).all()
        ),
        "proposals": sorted(
            db.session.execute(select(Proposal.id, Proposal.status, Proposal.disputed)).all()
        ),
        "votes": db.session.scalar(select(func.count()).select_from(Vote)),
        "households": sorted(db.session.execute(select(Household.id, Household.status)).all()),
        "persons": db.session.scalar(select(func.count()).select_from(Person)),
        "imports": sorted(
            db.session.execute(select(RegisterImport.id, RegisterImport.status)).all()
        ),
        "rules": db.session.scalar(select(func.count()).select_from(KabupatenRules)),
        "berita_acara": sorted(
            db.session.execute(select(BeritaAcara.id, BeritaAcara.scan_sha256)).all()
        ),
    }


@pytest.fixture(scope="module")
def matrix_url(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if PG_URL:
        truncate_all(PG_URL)
        yield PG_URL
        truncate_all(PG_URL)
    else:
        path = tmp_path_factory.mktemp("matrix") / "matrix.sqlite"
        shutil.copy(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture(scope="module")
def matrix(matrix_url: str) -> Iterator[World]:
    # Throttling is not the subject here (tests/auth covers it): the public PDF check would
    # otherwise answer 429 after twenty principals.
    app = create_app({**base_config(matrix_url), "RATELIMIT_ENABLED": False})

    def clear_g(_sender: Flask, **_extra: object) -> None:
        # One pushed app context serves every request: give each its own `g` (tests/conftest.py).
        for name in list(g):
            g.pop(name)

    with app.app_context():
        world = World(app)
        try:
            build_world(world)
        except Exception:
            # Reported once by test_the_world_is_as_built; the other tests skip (a fixture
            # error repeated for some 1800 tests takes pytest minutes to format).
            db.session.rollback()
            world.broken = traceback.format_exc()
        else:
            world.initial_state = world_state()
        request_started.connect(clear_g, app)
        try:
            yield world
        finally:
            request_started.disconnect(clear_g, app)
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def world(matrix: World) -> World:
    if matrix.broken:
        pytest.skip("the world could not be built: see test_the_world_is_as_built")
    return matrix


# --- the classification ------------------------------------------------------------------------

OK, LOGIN, FORBIDDEN, MISSING = "ok", "login", "403", "404"
EVERY_ROLE = None  # any logged-in role


@dataclass(frozen=True)
class Rule:
    """How one (endpoint, method) is asked and who may get what.

    url: the path for a region's objects. roles: the roles holding the capability (EVERY_ROLE:
    any logged-in user). scoped: the URL names an object of the region (outside the principal's
    scope: 404); otherwise the route shows the principal's own scope (lists, forms).
    object_first: the object is loaded before the capability is checked (an outsider gets 404
    even without the capability). owner: only the object's owner (notifications).
    meeting_change: a POST of the meetings blueprint to the cancelled meeting.
    """

    url: Callable[[Side], str]
    roles: frozenset[str] | None = EVERY_ROLE
    scoped: bool = True
    public: bool = False
    object_first: bool = False
    owner: bool = False
    data: Callable[[Side], dict[str, Any]] | None = None
    meeting_change: bool = False


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


ADMIN = roles("admin")
ADMIN_CAMAT = roles("admin", "camat")
SEKRETARIS = roles("sekretaris")
CAMAT = roles("camat")
OPERATOR = roles("operator")
IMPORTERS = roles("admin", "sekretaris")


def meeting(suffix: str = "") -> Callable[[Side], str]:
    return lambda s: f"/musyawarah/{s.meeting_id}{suffix}"


def proposal(suffix: str) -> Callable[[Side], str]:
    return lambda s: f"/musyawarah/{s.meeting_id}/usulan/{s.proposal_id}{suffix}"


def changes(suffix: str, allowed: frozenset[str] | None = EVERY_ROLE, **kw: Any) -> Rule:
    """A change of the cancelled meeting: a sealed one answers 409 before any check of the view
    (test_a_sealed_meeting_refuses_changes_inside_its_scope_only)."""

    def url(s: Side) -> str:
        path = f"/musyawarah/{s.open_meeting_id}{suffix}"
        path = path.replace("<proposal>", str(s.open_proposal_id))
        path = path.replace("<participant>", str(s.open_participant_id))
        return path.replace("<household>", str(s.household_id))

    return Rule(url, allowed, meeting_change=True, **kw)


def public(url: Callable[[Side], str], **kw: Any) -> Rule:
    return Rule(url, scoped=False, public=True, **kw)


def own_scope(url: Callable[[Side], str], allowed: frozenset[str] | None = EVERY_ROLE, **kw: Any):
    return Rule(url, allowed, scoped=False, **kw)


RULES: dict[tuple[str, str], Rule] = {
    # Public.
    ("static", "GET"): public(lambda s: "/static/app.css"),
    ("main.health", "GET"): public(lambda s: "/sehat"),
    ("main.set_language", "POST"): public(lambda s: "/bahasa"),
    ("auth.login", "GET"): public(lambda s: "/masuk"),
    ("auth.login", "POST"): public(lambda s: "/masuk"),
    ("auth.logout", "POST"): public(lambda s: "/keluar"),
    ("transparency.index", "GET"): public(lambda s: f"/transparansi/?q={s.family_name[:4]}"),
    ("transparency.village", "GET"): public(lambda s: f"/transparansi/{s.village}"),
    ("verification.show", "GET"): public(lambda s: f"/verifikasi/{s.verify_code}"),
    ("verification.check", "POST"): public(lambda s: f"/verifikasi/{s.verify_code}"),
    # The user's own pages.
    ("main.home", "GET"): own_scope(lambda s: "/"),
    ("auth.change_password", "GET"): own_scope(lambda s: "/akun/kata-sandi"),
    ("auth.change_password", "POST"): own_scope(lambda s: "/akun/kata-sandi"),
    ("notifications.index", "GET"): own_scope(lambda s: "/notifikasi/"),
    ("notifications.read_all", "POST"): own_scope(lambda s: "/notifikasi/baca-semua"),
    ("notifications.read_one", "POST"): Rule(
        lambda s: f"/notifikasi/{s.notification_id}/baca", owner=True
    ),
    ("notifications.open_one", "POST"): Rule(
        lambda s: f"/notifikasi/{s.notification_id}/buka", owner=True
    ),
    # Regions.
    ("regions.index", "GET"): own_scope(lambda s: "/wilayah/"),
    ("regions.show", "GET"): Rule(lambda s: f"/wilayah/{s.village}"),
    # Users.
    ("users.index", "GET"): own_scope(
        lambda s: f"/admin/pengguna/?q={TARGET_USERS[s.name].split()[1]}", ADMIN_CAMAT
    ),
    ("users.create", "GET"): own_scope(lambda s: "/admin/pengguna/baru", ADMIN),
    ("users.create", "POST"): own_scope(lambda s: "/admin/pengguna/baru", ADMIN),
    ("users.show", "GET"): Rule(lambda s: f"/admin/pengguna/{s.user_id}", ADMIN_CAMAT),
    ("users.edit", "GET"): Rule(lambda s: f"/admin/pengguna/{s.user_id}/ubah", ADMIN),
    ("users.edit", "POST"): Rule(
        lambda s: f"/admin/pengguna/{s.user_id}/ubah", ADMIN, data=lambda s: {"full_name": ""}
    ),
    ("users.toggle_active", "POST"): Rule(lambda s: f"/admin/pengguna/{s.user_id}/aktif", ADMIN),
    ("users.reset_password", "POST"): Rule(
        lambda s: f"/admin/pengguna/{s.user_id}/reset-sandi", ADMIN
    ),
    # The audit trail (the filter asks for the region's entries: only the own scope answers).
    ("audit.index", "GET"): own_scope(lambda s: f"/jejak-audit/?wilayah={s.village}", ADMIN_CAMAT),
    ("audit.verify", "POST"): own_scope(lambda s: "/jejak-audit/periksa", ADMIN),
    ("audit.failed_logins", "GET"): own_scope(lambda s: "/jejak-audit/masuk-gagal", ADMIN),
    # Dashboard.
    ("dashboard.index", "GET"): own_scope(
        lambda s: f"/dasbor/?kecamatan={s.kecamatan}", ADMIN_CAMAT
    ),
    ("dashboard.download", "GET"): own_scope(lambda s: "/dasbor/unduh.csv", ADMIN_CAMAT),
    ("dashboard.download_monthly", "GET"): own_scope(
        lambda s: "/dasbor/per-bulan.csv", ADMIN_CAMAT
    ),
    # Register.
    ("register.index", "GET"): own_scope(lambda s: "/keluarga/"),
    ("register.household", "GET"): Rule(lambda s: f"/keluarga/{s.household_id}"),
    ("register.village", "GET"): Rule(lambda s: f"/keluarga/desa/{s.village}"),
    ("register.village", "POST"): Rule(
        lambda s: f"/keluarga/desa/{s.village}", data=lambda s: {"q": s.family_name}
    ),
    ("register.export", "GET"): Rule(lambda s: f"/keluarga/desa/{s.village}/ekspor.csv"),
    ("register.imports", "GET"): own_scope(lambda s: "/keluarga/impor", IMPORTERS),
    ("register.imports", "POST"): own_scope(lambda s: "/keluarga/impor", IMPORTERS),
    ("register.import_status", "GET"): Rule(lambda s: f"/keluarga/impor/{s.import_id}", IMPORTERS),
    ("register.import_issues", "GET"): Rule(
        lambda s: f"/keluarga/impor/{s.import_id}/masalah.csv", IMPORTERS
    ),
    ("register.import_confirm", "POST"): Rule(
        lambda s: f"/keluarga/impor/{s.import_id}/konfirmasi", IMPORTERS
    ),
    ("register.import_cancel", "POST"): Rule(
        lambda s: f"/keluarga/impor/{s.import_id}/batal", IMPORTERS
    ),
    # Meetings.
    ("meetings.index", "GET"): own_scope(lambda s: "/musyawarah/"),
    ("meetings.rules", "GET"): own_scope(lambda s: "/musyawarah/aturan", ADMIN),
    # An empty form would keep the numbers and clear the check boxes: send an invalid one.
    ("meetings.rules", "POST"): own_scope(
        lambda s: "/musyawarah/aturan", ADMIN, data=lambda s: {"quorum_num": "0"}
    ),
    ("meetings.create", "GET"): own_scope(lambda s: "/musyawarah/baru", SEKRETARIS),
    ("meetings.create", "POST"): own_scope(lambda s: "/musyawarah/baru", SEKRETARIS),
    ("meetings.show", "GET"): Rule(meeting()),
    ("meetings.edit", "GET"): Rule(meeting("/ubah"), SEKRETARIS),
    ("meetings.edit", "POST"): changes("/ubah", SEKRETARIS, data=lambda s: {"number": ""}),
    # Every role may ask for a move; the state machine refuses (a cancelled meeting: none).
    ("meetings.make_move", "POST"): changes("/langkah/cancel"),
    ("meetings.participants", "GET"): Rule(meeting("/peserta")),
    # The meeting is loaded first, then the capability is checked.
    ("meetings.participants", "POST"): changes("/peserta", SEKRETARIS, object_first=True),
    ("meetings.walk_in", "POST"): changes("/peserta/tambahan", SEKRETARIS),
    ("meetings.copy_participants", "POST"): changes("/peserta/salin", SEKRETARIS),
    ("meetings.check_in", "POST"): changes("/peserta/<participant>/hadir", SEKRETARIS),
    ("meetings.remove_participant", "POST"): changes("/peserta/<participant>/hapus", SEKRETARIS),
    ("meetings.attendance_sheet", "GET"): Rule(meeting("/daftar-hadir")),
    ("meetings.invitation_list", "GET"): Rule(meeting("/undangan")),
    ("meetings.proposals", "GET"): Rule(meeting("/usulan")),
    ("meetings.families", "GET"): Rule(meeting("/keluarga")),
    # A search (POST keeps the NIK out of the address): on the cancelled meeting, as the sealed
    # one refuses every POST (see the report of issue 7).
    ("meetings.families", "POST"): changes("/keluarga", data=lambda s: {"q": s.family_name}),
    ("meetings.decided", "GET"): Rule(meeting("/keputusan")),
    ("meetings.decide_batch", "POST"): changes("/putuskan-sekaligus", SEKRETARIS),
    ("meetings.confirm_batch", "GET"): Rule(meeting("/putuskan-sekaligus"), SEKRETARIS),
    ("meetings.reopen_decision", "POST"): changes(
        "/usulan/<proposal>/koreksi", SEKRETARIS, data=lambda s: {"alasan": "uji"}
    ),
    ("meetings.edit_walk_in", "GET"): Rule(
        lambda s: f"/musyawarah/{s.meeting_id}/peserta/{s.participant_id}/ubah", SEKRETARIS
    ),
    ("meetings.edit_walk_in", "POST"): changes(
        "/peserta/<participant>/ubah", SEKRETARIS, data=lambda s: {"name": ""}
    ),
    ("meetings.remove_walk_in", "POST"): changes(
        "/peserta/<participant>/hapus-tambahan", SEKRETARIS
    ),
    ("meetings.propose_new_family", "GET"): Rule(meeting("/usulan/baru"), SEKRETARIS),
    ("meetings.propose_new_family", "POST"): changes("/usulan/baru", SEKRETARIS),
    ("meetings.propose_removal", "GET"): Rule(
        lambda s: f"/musyawarah/{s.meeting_id}/usulan/keluar/{s.household_id}", SEKRETARIS
    ),
    ("meetings.propose_removal", "POST"): changes("/usulan/keluar/<household>", SEKRETARIS),
    ("meetings.propose_correction", "GET"): Rule(
        lambda s: f"/musyawarah/{s.meeting_id}/usulan/perbaikan/{s.household_id}", SEKRETARIS
    ),
    ("meetings.propose_correction", "POST"): changes("/usulan/perbaikan/<household>", SEKRETARIS),
    ("meetings.proposal_photo", "GET"): Rule(proposal("/foto")),
    ("meetings.record_tally", "POST"): changes("/usulan/<proposal>/hitung", SEKRETARIS),
    ("meetings.toggle_disputed", "POST"): changes("/usulan/<proposal>/keberatan", SEKRETARIS),
    ("meetings.decide_consensus", "POST"): changes("/usulan/<proposal>/mufakat", SEKRETARIS),
    ("meetings.withdraw", "POST"): changes("/usulan/<proposal>/tarik", SEKRETARIS),
    ("meetings.open_named_vote", "POST"): changes("/usulan/<proposal>/voting", SEKRETARIS),
    ("meetings.close_named_vote", "POST"): changes("/usulan/<proposal>/tutup", SEKRETARIS),
    ("meetings.cast_vote", "POST"): changes(
        "/usulan/<proposal>/suara/<participant>", SEKRETARIS, data=lambda s: {"pilihan": "setuju"}
    ),
    # Berita acara.
    ("berita_acara.request_lock", "POST"): Rule(meeting("/berita-acara"), SEKRETARIS),
    ("berita_acara.status", "GET"): Rule(meeting("/berita-acara/status")),
    ("berita_acara.pdf", "GET"): Rule(meeting("/berita-acara.pdf")),
    ("berita_acara.canonical_json", "GET"): Rule(meeting("/berita-acara/keputusan.json")),
    ("berita_acara.scan", "GET"): Rule(meeting("/berita-acara/pindaian")),
    ("berita_acara.scan", "POST"): Rule(meeting("/berita-acara/pindaian"), SEKRETARIS),
    # The camat's review.
    ("review.inbox", "GET"): own_scope(lambda s: "/konfirmasi/", CAMAT),
    ("review.show", "GET"): Rule(lambda s: f"/konfirmasi/{s.meeting_id}", CAMAT),
    ("review.confirm", "POST"): Rule(lambda s: f"/konfirmasi/{s.meeting_id}/konfirmasi", CAMAT),
    ("review.return_meeting", "POST"): Rule(
        lambda s: f"/konfirmasi/{s.meeting_id}/kembalikan", CAMAT
    ),
    ("review.addendum", "POST"): Rule(lambda s: f"/konfirmasi/{s.meeting_id}/adendum", SEKRETARIS),
    ("review.countersigned_pdf", "GET"): Rule(
        lambda s: f"/konfirmasi/{s.meeting_id}/berita-acara-dikonfirmasi.pdf"
    ),
    # The SIKS-NG operator.
    ("entry.inbox", "GET"): own_scope(lambda s: "/entri/", OPERATOR),
    ("entry.show", "GET"): Rule(lambda s: f"/entri/{s.meeting_id}", OPERATOR),
    ("entry.countersigned_pdf", "GET"): Rule(
        lambda s: f"/entri/{s.meeting_id}/berita-acara.pdf", OPERATOR
    ),
    ("entry.scan", "GET"): Rule(lambda s: f"/entri/{s.meeting_id}/pindaian", OPERATOR),
    ("entry.decided_list", "GET"): Rule(lambda s: f"/entri/{s.meeting_id}/keputusan.csv", OPERATOR),
    ("entry.mark", "POST"): Rule(
        lambda s: f"/entri/{s.meeting_id}/keluarga/{s.household_id}", OPERATOR
    ),
    ("entry.mark_many", "POST"): Rule(lambda s: f"/entri/{s.meeting_id}/tandai", OPERATOR),
}

# Cases where the app answers wrongly today: (endpoint, method, principal, side) -> reason.
# A case listed here that passes fails the test, so that the entry is removed with the fix.
KNOWN_BUGS: dict[tuple[str, str, str, str], str] = {}


def expected(rule: Rule, who: Principal, side: Side) -> str:
    if rule.public:
        return OK
    if who.anonymous:
        return LOGIN
    if rule.owner:
        return OK if who.key == side.notification_owner else MISSING
    allowed = rule.roles is EVERY_ROLE or who.role in rule.roles
    inside = not rule.scoped or who.covers(side.village)
    if rule.object_first and not inside:
        return MISSING
    if not allowed:
        return FORBIDDEN
    if not inside:
        return MISSING
    return OK


def answer_problem(outcome: str, method: str, response: TestResponse) -> str | None:
    status = response.status_code
    if outcome == LOGIN:
        if status == 401:
            return None
        if status == 302 and urlsplit(response.location).path == "/masuk":
            return None
        return f"expected the login page, got {status} {response.location or ''}"
    if outcome in (FORBIDDEN, MISSING):
        return None if status == int(outcome) else f"expected {outcome}, got {status}"
    if status < 400 or (method == "POST" and status in (400, 409, 422)):
        return None
    return f"expected an answer (<400), got {status}"


def leaks(world: World, rule: Rule, who: Principal, response: TestResponse) -> list[str]:
    """The strings of regions outside the principal's scope that the answer shows."""
    text = response.get_data().decode("utf-8", "replace")
    text += "\n" + "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    if rule.public:  # the same for everybody: names may be public, NIK and KK never in full
        forbidden = world.identity_numbers
    else:
        forbidden = [
            marker
            for code, markers in world.markers.items()
            if not who.covers(code)
            for marker in markers
        ]
    return [marker for marker in forbidden if marker in text]


def case_list() -> list[tuple[str, str, str, str]]:
    cases = []
    for (endpoint, method), rule in RULES.items():
        for key in PRINCIPALS:
            cases.append((endpoint, method, key, "A"))
        if rule.scoped or rule.owner:
            for key in A_SCOPE:
                cases.append((endpoint, method, key, "B"))
    return cases


CASES = case_list()


def test_the_world_is_as_built(matrix: World):
    """The world holds what the cases need (a wrong world would make 404s look right)."""
    assert not matrix.broken, matrix.broken
    world = matrix
    for side in world.sides.values():
        meeting = db.session.get(Meeting, side.meeting_id)
        assert meeting.state == "confirmed"
        ba = ba_services.of_meeting(side.meeting_id)
        assert ba.scan is not None
        assert db.session.get(Proposal, side.proposal_id).has_photo
        assert db.session.get(RegisterImport, side.import_id).issues
        assert side.family_name in side.markers
        assert len(side.identity_numbers) > 4


def test_the_markers_are_shown_inside_their_region(world: World):
    """Guards the leak test's premise: region A's markers do reach the pages that show them."""
    side = world.sides["A"]
    body = world.client("sekretaris").get(f"/keluarga/{side.household_id}").get_data(as_text=True)
    assert side.family_name in body
    body = world.client("b_sekretaris").get("/musyawarah/").get_data(as_text=True)
    assert MEETING_NUMBERS["B"] in body
    assert MEETING_NUMBERS["A"] not in body
    body = world.client("camat").get(f"/keluarga/desa/{DESA_AIR_BULUH}").get_data(as_text=True)
    assert any(marker in body for marker in world.markers[DESA_AIR_BULUH])


@pytest.mark.parametrize(
    ("endpoint", "method", "principal", "side"),
    CASES,
    ids=[f"{e}-{m}-{p}-{s}" for e, m, p, s in CASES],
)
def test_route_answers(world: World, endpoint: str, method: str, principal: str, side: str):
    rule = RULES[(endpoint, method)]
    who = world.principals[principal]
    target = world.sides[side]
    outcome = expected(rule, who, target)
    client = world.client(principal)
    url = rule.url(target)
    data = rule.data(target) if rule.data else {}

    problems = []
    response = client.open(url, method=method, data=data)
    if endpoint == "auth.logout":
        world.forget_client(principal)
    if problem := answer_problem(outcome, method, response):
        problems.append(problem)
    if leaked := leaks(world, rule, who, response):
        problems.append(f"shows another region's data: {leaked[:5]}")
    if method == "GET":
        fragment = client.open(url, method=method, headers={"HX-Request": "true"})
        if problem := answer_problem(outcome, method, fragment):
            problems.append(f"htmx: {problem}")
        if leaked := leaks(world, rule, who, fragment):
            problems.append(f"htmx: shows another region's data: {leaked[:5]}")

    known = KNOWN_BUGS.get((endpoint, method, principal, side))
    if known:
        if problems:
            pytest.xfail(known)
        pytest.fail(f"known bug fixed? remove it from KNOWN_BUGS: {known}")
    assert not problems, f"{method} {url} as {principal} (expected {outcome}): {problems}"


# Every change of the meetings blueprint, the search of the families excepted (a read).
SEALED_CASES = [
    (endpoint, method, key)
    for (endpoint, method), rule in RULES.items()
    if rule.meeting_change and endpoint != "meetings.families"
    for key in PRINCIPALS
]


@pytest.mark.parametrize(
    ("endpoint", "method", "principal"),
    SEALED_CASES,
    ids=[f"{e}-{m}-{p}" for e, m, p in SEALED_CASES],
)
def test_a_sealed_meeting_refuses_changes_inside_its_scope_only(
    world: World, endpoint: str, method: str, principal: str
):
    """Inside the scope, any role gets 409 before the view runs; outside it, the view's own
    answer stands (a 409 would tell another region that the meeting exists)."""
    rule = RULES[(endpoint, method)]
    who = world.principals[principal]
    a = world.sides["A"]
    sealed = replace(
        a,
        open_meeting_id=a.meeting_id,
        open_proposal_id=a.proposal_id,
        open_participant_id=a.participant_id,
    )
    outcome = expected(rule, who, sealed)
    url = rule.url(sealed)
    response = world.client(principal).post(url, data=rule.data(sealed) if rule.data else {})
    if outcome != LOGIN and who.covers(a.village):
        assert response.status_code == 409, (url, principal, response.status_code)
    else:
        problem = answer_problem(outcome, method, response)
        assert problem is None, (url, principal, problem)
    assert not leaks(world, rule, who, response), (url, principal)


def test_an_invalid_tally_for_a_meeting_outside_the_scope_is_missing(world: World):
    b = world.sides["B"]
    url = f"/musyawarah/{b.open_meeting_id}/usulan/{b.open_proposal_id}/hitung"
    response = world.client("sekretaris").post(url, data={"yes": "-1"})
    assert response.status_code == 404


# Hostile values of the query parameters list pages read (issue 16.8): never a 500, never a
# page of another region.
HOSTILE_QUERY = {
    "halaman": ["1000000000000000000", "-5", "0", "abc", "1e3", "\x00", "9" * 400],
    "hari": ["99999999999999999999", "-1", "x"],
    "q": ["%" * 300, "\x0b\x00", "' OR 1=1 --"],
}
FORGED_HOST = "evil.example.net"
PAGE_CASES = [
    (endpoint, key)
    for (endpoint, method), rule in RULES.items()
    if method == "GET" and not endpoint.startswith("static")
    for key in ("sekretaris", "admin", "camat", "operator", ANONYMOUS)
    if (rule.public or key != ANONYMOUS)
    and (rule.public or rule.roles is EVERY_ROLE or PRINCIPALS[key][0] in rule.roles)
]


@pytest.mark.parametrize(
    ("endpoint", "principal"), PAGE_CASES, ids=[f"{e}-{p}" for e, p in PAGE_CASES]
)
def test_hostile_query_parameters_never_break_a_page(world: World, endpoint: str, principal: str):
    rule = RULES[(endpoint, "GET")]
    who = world.principals[principal]
    url = rule.url(world.sides["A"])
    client = world.client(principal)
    problems = []
    for name, values in HOSTILE_QUERY.items():
        for value in values:
            for headers in ({}, {"HX-Request": "true"}):
                joined = f"{url}{'&' if '?' in url else '?'}{urlencode({name: value})}"
                response = client.get(joined, headers=headers)
                if response.status_code >= 500:
                    problems.append(f"{name}={value[:20]!r}: {response.status_code}")
                elif leaked := leaks(world, rule, who, response):
                    problems.append(f"{name}={value[:20]!r}: shows {leaked[:3]}")
    # Nor does any page echo a forged Host (only PUBLIC_BASE_URL names the portal).
    # The client's cookies are for localhost: a cookie-less client sends them to the forged
    # host by hand, so that the principal stays signed in.
    cookies = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    usual = client.get(url).status_code
    bare = world.app.test_client(use_cookies=False)
    for headers in ({}, {"HX-Request": "true"}):
        response = bare.get(
            url, headers={**headers, "Cookie": cookies}, base_url=f"http://{FORGED_HOST}"
        )
        if response.status_code != usual and not headers:
            problems.append(f"forged Host answered {response.status_code}, not {usual}")
        text = response.get_data().decode("utf-8", "replace") + repr(list(response.headers.items()))
        if FORGED_HOST in text:
            problems.append(f"echoes the forged Host {headers or ''}")
    assert not problems, f"GET {url} as {principal}: {problems}"


def url_map_routes() -> set[tuple[str, str]]:
    app = create_app(base_config("sqlite://"))
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def test_every_route_is_classified():
    routes = url_map_routes()
    missing = sorted(routes - set(RULES))
    assert not missing, (
        "classify new route(s) in tests/security/test_route_matrix.py: "
        + ", ".join(f"{endpoint} {method}" for endpoint, method in missing)
    )
    stale = sorted(set(RULES) - routes)
    assert not stale, f"RULES names routes the app no longer has: {stale}"


def test_the_world_is_unchanged(world: World):
    """No case changed a meeting, the register, an import or the rules: each POST was refused
    by the object's state or its empty form, whatever the authorization answered."""
    assert world_state() == world.initial_state
