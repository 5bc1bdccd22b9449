"""What a tap in the meeting costs the database, held where the benchmark (bench/meeting_page.py)
found it mattered: the meeting is loaded once per change (the sealed-meeting check and the view
share the locked load), a named vote's answer reads the votes once, SQLite gets no liveness ping
before each request, PostgreSQL keeps it."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from portal import create_app
from portal.blueprints.meetings import services
from portal.extensions import db
from tests.conftest import base_config
from tests.factories import Auth
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
