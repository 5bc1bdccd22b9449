"""Flask extensions, created unbound here and bound in `create_app`.

Keeping them in one module lets every area import `db` or `limiter` without importing the app
(microblog's import-at-the-bottom workaround is not needed).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names: Alembic needs them to drop or alter constraints, on SQLite in batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The models' base class. At run time it is `db.Model` (Base with Flask-SQLAlchemy's Model mixed
# in); a type checker cannot follow an attribute used as a base class, so it is told what it is.
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel
    from sqlalchemy import Table

    class Model(_FlaskModel, Base):
        """`db.Model`, as a type checker sees it. Every model of the portal maps one table."""

        __table__: ClassVar[Table]

else:
    Model = db.Model

migrate = Migrate()
SQLITE_BUSY_TIMEOUT_MS = 10_000

login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
babel = Babel()
# Limits are declared on the views; storage comes from RATELIMIT_STORAGE_URI (memory or Redis).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def check_limits_in_views_only(app: Any) -> None:
    """Drop Flask-Limiter's check before every request (~0.15 ms each). It serves default,
    application-wide and blueprint limits, which the portal has none of; a view's own
    `@limiter.limit` checks itself when the view is called. Kept if such limits are configured."""
    if any(
        app.config.get(key)
        for key in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")
    ):
        return
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [f for f in hooks if f != limiter._check_request_limit]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite enforces foreign keys only when asked; WAL lets the worker write while pages read."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


def sqlite_begin_immediate(dbapi_connection: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE: take SQLite's write lock, waiting for another writer in short steps.

    SQLite's own busy handler sleeps 1, 2, 5, 10, … ms between tries: with two workers taking
    turns at the write lock for a few ms each, the waiter kept sleeping after the lock was free
    (measured: check-in with writes 106 → 154 req/s, bench/RESULTS.md). Here a wait tries every
    0.2 ms for its first 50 ms (the waits between taps); a longer one (behind an import's save)
    backs off, doubling up to 5 ms, so that it costs little CPU (backing off from the start gave
    the gain back: measured). The same 10 s limit. Giving up raises SQLAlchemy's
    OperationalError, as any other statement would: the request gets the 503 page ("nothing
    saved, try again"), not a 500.
    """
    cursor = dbapi_connection.cursor()
    started = time.monotonic()
    deadline = started + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.0002
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise sa_exc.OperationalError("BEGIN IMMEDIATE", None, error) from error
                time.sleep(pause)
                if time.monotonic() - started > 0.05:
                    pause = min(pause * 2, 0.005)
    finally:
        # A failed restore must not hide the original error; the connection then fails fast
        # ("database is locked") rather than waiting, which the 503 page covers too.
        with contextlib.suppress(sqlite3.Error):
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
