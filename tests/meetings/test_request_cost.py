"""What a tap in the meeting costs the database, held where the benchmark (bench/meeting_page.py)
found it mattered: the meeting is loaded once per change (the sealed-meeting check and the view
share the locked load), a named vote's answer reads the votes once, SQLite gets no liveness ping
before each request, PostgreSQL keeps it."""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from portal import create_app, extensions
from portal.blueprints.meetings import sealed, services
from portal.blueprints.meetings.models import Participant
from portal.extensions import db
from tests.conftest import base_config
from tests.factories import DESA_PASAR_IPUH, Auth, make_user
from tests.meetings.test_services import removal, session

HX = {"HX-Request": "true"}


@contextmanager
def statements():
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(re.sub(r"\s+", " ", statement))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def running(client, make_meeting, sekretaris, register):
    meeting, people = session(make_meeting, sekretaris, invited=3, present=2)
    item = removal(meeting, register[0], sekretaris)
    services.open_named_vote(meeting, item, user=sekretaris)
    db.session.commit()
    Auth(client).login_as(sekretaris)
    return meeting, people, item


def _from_meetings(seen: list[str]) -> list[str]:
    return [s for s in seen if re.search(r"\bFROM meetings\b", s)]


def test_a_check_in_loads_the_meeting_once(client, running):
    meeting, people, _item = running
    url = f"/musyawarah/{meeting.id}/peserta/{people[2].id}/hadir"  # (read before counting)
    with statements() as seen:
        response = client.post(url, data={"hadir": "1"}, headers=HX)
    assert response.status_code == 200 and "3/3" in response.get_data(as_text=True)
    loads = _from_meetings(seen)
    assert len(loads) == 1, "\n".join(s[:90] + " … " + s[-160:] for s in loads)
    assert len([s for s in seen if s.startswith("INSERT INTO audit_entries")]) == 1


def test_a_vote_loads_the_meeting_once_and_reads_the_votes_once(client, running):
    meeting, people, item = running
    url = f"/musyawarah/{meeting.id}/usulan/{item.id}/suara/{people[0].id}"
    with statements() as seen:
        response = client.post(url, data={"pilihan": "setuju"}, headers=HX)
    assert response.status_code == 200
    assert len(_from_meetings(seen)) == 1
    assert len([s for s in seen if re.search(r"\bFROM votes\b", s)]) == 1


def test_a_refused_change_loads_the_meeting_again_after_the_rollback(client, running):
    """A refusal rolls back (the lock is gone): the answer shows the meeting as it is now."""
    meeting, people, item = running
    url = f"/musyawarah/{meeting.id}/usulan/{item.id}/suara/{people[0].id}"
    with statements() as seen:
        response = client.post(url, data={"pilihan": "bukan-pilihan"}, headers=HX)
    assert response.status_code == 200 and response.headers.get("HX-Retarget")
    assert len(_from_meetings(seen)) == 2


def test_sqlite_is_not_pinged_before_each_request_postgresql_is(tmp_path):
    sqlite = create_app({**base_config(f"sqlite:///{tmp_path / 'a.sqlite'}")})
    assert "pool_pre_ping" not in sqlite.config["SQLALCHEMY_ENGINE_OPTIONS"]
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/never-connected"
    postgres = create_app({**base_config(url)})
    assert postgres.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_a_tap_kept_waiting_for_sqlites_write_lock_gets_the_503_page(
    client, running, database_url, monkeypatch
):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's database-wide write lock")
    meeting, people, _item = running
    url = f"/musyawarah/{meeting.id}/peserta/{people[2].id}/hadir"
    monkeypatch.setattr(extensions, "SQLITE_BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    holder.execute("BEGIN IMMEDIATE")  # e.g. an import saving the register
    try:
        response = client.post(url, data={"hadir": "1"}, headers=HX)
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503 and response.headers["Retry-After"]
    db.session.expire_all()
    assert db.session.get(Participant, people[2].id).present is False  # nothing written


def test_a_change_the_view_refuses_takes_no_lock(client, running, monkeypatch):
    """A camat may not check people in: the 403 comes without waiting for the meeting's lock."""
    meeting, people, _item = running
    url = f"/musyawarah/{meeting.id}/peserta/{people[2].id}/hadir"
    camat = make_user("camat", DESA_PASAR_IPUH[:6], username="camat_cost")
    locks: list[bool] = []
    real = sealed.find_scoped

    def spy(model, ident, user=None, *, lock=False):
        locks.append(lock)
        return real(model, ident, user, lock=lock)

    monkeypatch.setattr(sealed, "find_scoped", spy)
    Auth(client).login_as(camat)
    assert client.post(url, data={"hadir": "1"}, headers=HX).status_code == 403
    assert locks == [False]
