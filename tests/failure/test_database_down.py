"""The database unreachable for a moment: a clear page, nothing half-saved, nothing lost.

While a flag is set, every new database connection fails (a `do_connect` listener raising the
driver's OperationalError) and the pool is emptied, as when the database server restarts. A
second case drops the connection in the middle of a request, at the INSERT itself. Once the
database is back, the same request goes through, exactly once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from portal.audit import AuditEntry
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Participant
from portal.extensions import db
from tests.meetings.conftest import make_meeting, sekretaris  # noqa: F401  (fixtures)

DOWN_TITLE = "Basis data tidak dapat dihubungi"
WALK_IN_NIK = "1706054101900003"


@contextmanager
def database_down(app, *, statement: str | None = None) -> Iterator[threading.Event]:
    """New connections fail while the event is set (or, with `statement`, only statements
    starting with it fail, as a connection dropped mid-request)."""
    down = threading.Event()
    down.set()
    engine = db.engine
    dbapi = engine.dialect.loaded_dbapi

    def refuse_connection(_dialect, _record, _cargs, _cparams):
        if down.is_set():
            raise dbapi.OperationalError("could not connect to server: Connection refused")

    def drop_at_statement(_conn, _cursor, sql, _params, _context, _many):
        if down.is_set() and sql.lstrip().upper().startswith(statement):
            raise dbapi.OperationalError("server closed the connection unexpectedly")

    if statement is None:
        event.listen(engine, "do_connect", refuse_connection)
        db.session.remove()
        engine.dispose()  # pooled connections are gone too
        listener = ("do_connect", refuse_connection)
    else:
        event.listen(engine, "before_cursor_execute", drop_at_statement)
        listener = ("before_cursor_execute", drop_at_statement)
    try:
        yield down
    finally:
        down.clear()
        event.remove(engine, *listener)


def walk_in_form(name: str) -> dict[str, str]:
    return {
        "tambahan-name": name,
        "tambahan-unsur": "tokoh_masyarakat",
        "tambahan-votes": "y",
        "tambahan-nik": WALK_IN_NIK,
    }


def participants_named(name: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(Participant).where(Participant.name == name)
    )


def audits(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


@pytest.fixture
def meeting(app, auth, make_meeting, sekretaris):
    found = make_meeting(states.IN_SESSION, voters=2)
    auth.login_as(sekretaris)
    return found


def test_pages_and_forms_answer_503_while_down_and_the_same_post_succeeds_once_back(
    app, client, meeting, caplog
):
    meeting_id = meeting.id
    participant_id = meeting.participants[0].id
    url = f"/musyawarah/{meeting_id}/peserta/tambahan"
    caplog.set_level(logging.ERROR)

    with database_down(app):
        page = client.get(f"/musyawarah/{meeting_id}")
        assert page.status_code == 503
        text = page.get_data(as_text=True)
        assert DOWN_TITLE in text
        assert "coba lagi" in text
        assert "<html" in text  # the full page, drawn without the database
        assert "Traceback" not in text and "sqlalchemy" not in text.lower()
        assert page.headers["Retry-After"]

        posted = client.post(url, data=walk_in_form("Pak Datang Terlambat"))
        assert posted.status_code == 503
        assert DOWN_TITLE in posted.get_data(as_text=True)

        tap = client.post(
            f"/musyawarah/{meeting_id}/peserta/{participant_id}/hadir",
            data={"hadir": "1"},
            headers={"HX-Request": "true"},
        )
        assert tap.status_code == 503
        fragment = tap.get_data(as_text=True)
        assert DOWN_TITLE in fragment and "<html" not in fragment
        assert tap.headers["HX-Refresh"] == "true"  # htmx reloads into the full message

    assert "database unreachable" in caplog.text
    assert WALK_IN_NIK not in caplog.text

    # Back: nothing of the failed requests was written; the same POST now goes through once.
    assert participants_named("Pak Datang Terlambat") == 0
    assert db.session.get(Participant, participant_id).present is False
    again = client.post(url, data=walk_in_form("Pak Datang Terlambat"))
    assert again.status_code == 302
    assert participants_named("Pak Datang Terlambat") == 1
    tap = client.post(
        f"/musyawarah/{meeting_id}/peserta/{participant_id}/hadir",
        data={"hadir": "1"},
        headers={"HX-Request": "true"},
    )
    assert tap.status_code == 200
    db.session.expire_all()
    assert db.session.get(Participant, participant_id).present is True
    assert audits("meeting.check_in") == 1


@pytest.mark.parametrize(
    "dropped_at",
    ["INSERT INTO PARTICIPANTS", "INSERT INTO AUDIT_ENTRIES"],  # the row; the audit after it
)
def test_connection_dropped_mid_request_rolls_back_and_logs_no_personal_data(
    app, client, meeting, caplog, dropped_at
):
    url = f"/musyawarah/{meeting.id}/peserta/tambahan"
    walk_ins_before = audits("meeting.participant_add")
    caplog.set_level(logging.INFO)

    with database_down(app, statement=dropped_at):
        posted = client.post(url, data=walk_in_form("Bu Hampir Tersimpan"))
    assert posted.status_code == 503
    assert DOWN_TITLE in posted.get_data(as_text=True)
    # The statement and its parameters (the NIK, the name) stay out of the log.
    assert "database unreachable" in caplog.text
    assert WALK_IN_NIK not in caplog.text
    assert "Bu Hampir Tersimpan" not in caplog.text

    assert participants_named("Bu Hampir Tersimpan") == 0
    assert audits("meeting.participant_add") == walk_ins_before
    again = client.post(url, data=walk_in_form("Bu Hampir Tersimpan"))
    assert again.status_code == 302
    assert participants_named("Bu Hampir Tersimpan") == 1
