"""SQLite's write lock as the portal takes it (`extensions.sqlite_begin_immediate`): a second
writer waits for the first and goes on when it commits, gives up after the limit with the error
any statement would raise (the 503 page), and leaves the connection's busy timeout as it was."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import exc as sa_exc

from portal import extensions
from portal.extensions import SQLITE_BUSY_TIMEOUT_MS, sqlite_begin_immediate


def _connect(path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return connection


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "lock.sqlite"
    setup = _connect(path)
    setup.execute("CREATE TABLE taps (who TEXT)")
    setup.commit()
    setup.close()
    return path


def test_the_second_writer_waits_then_writes_after_the_first(database):
    first, second = _connect(database), _connect(database)
    sqlite_begin_immediate(first)
    first.execute("INSERT INTO taps VALUES ('first')")
    outcome: dict[str, object] = {}

    def other() -> None:
        started = time.monotonic()
        sqlite_begin_immediate(second)
        outcome["waited"] = time.monotonic() - started
        second.execute("INSERT INTO taps VALUES ('second')")
        second.commit()

    thread = threading.Thread(target=other)
    thread.start()
    time.sleep(0.2)
    assert thread.is_alive()  # still waiting for the write lock
    first.commit()
    thread.join(5)
    assert outcome["waited"] >= 0.19
    rows = [r[0] for r in _connect(database).execute("SELECT who FROM taps ORDER BY rowid")]
    assert rows == ["first", "second"]
    assert second.execute("PRAGMA busy_timeout").fetchone()[0] == SQLITE_BUSY_TIMEOUT_MS


def test_the_second_writer_gives_up_after_the_limit(database, monkeypatch):
    monkeypatch.setattr(extensions, "SQLITE_BUSY_TIMEOUT_MS", 300)
    first, second = _connect(database), _connect(database)
    sqlite_begin_immediate(first)
    started = time.monotonic()
    with pytest.raises(sa_exc.OperationalError, match="locked"):  # the 503 page's error
        sqlite_begin_immediate(second)
    assert 0.29 <= time.monotonic() - started < 2
    assert not second.in_transaction
    first.rollback()
    sqlite_begin_immediate(second)  # free again: taken at once
    assert second.in_transaction
    second.rollback()
