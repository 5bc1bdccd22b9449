"""The database's part: which kind it is, its state (rows per table, Alembic revision, audit
chain head), a consistent copy taken while the portal runs (SQLite's online backup API, or
`pg_dump` of one snapshot) and that copy put back (backup API, or `pg_restore` in one
transaction)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.engine import URL

from portal.backup.layout import DATABASE_MEMBERS, BackupError
from portal.extensions import db


@dataclass
class DatabaseState:
    tables: dict[str, int]
    revision: str | None
    audit_head: str | None


def database_kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in DATABASE_MEMBERS:
        raise BackupError(_("Basis data %(name)s tidak didukung oleh cadangan.", name=backend))
    return backend


def sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError(_("Basis data SQLite di memori tidak dapat dicadangkan."))
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A URL pg_dump/pg_restore understand, and an environment carrying the password (never
    argv, which every user of the machine can read)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _("Program %(name)s tidak ditemukan: pasang klien PostgreSQL.", name=name)
        )
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(
            _(
                "%(name)s gagal: %(error)s",
                name=Path(command[0]).name,
                error=result.stderr.strip()[-800:],
            )
        )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _state(
    tables: list[str],
    columns: Callable[[str], set[str]],
    rows: Callable[[str], list[tuple[Any, ...]]],
) -> DatabaseState:
    """Rows per table, the Alembic revision and the audit chain's head (SEQ:HASH)."""
    counts = {name: int(rows(f"SELECT count(*) FROM {_quote(name)}")[0][0]) for name in tables}
    revision = None
    if "alembic_version" in counts:
        revision = ",".join(sorted(r[0] for r in rows("SELECT version_num FROM alembic_version")))
    head = None
    if "audit_entries" in counts and {"seq", "entry_hash"} <= columns("audit_entries"):
        last = rows(
            "SELECT seq, entry_hash FROM audit_entries WHERE seq IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1"
        )
        head = f"{last[0][0]}:{last[0][1]}" if last else None
    return DatabaseState(counts, revision or None, head)


def _state_of_sqlite(connection: sqlite3.Connection) -> DatabaseState:
    tables = sorted(
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' "
            "ESCAPE '~'"
        )
    )
    return _state(
        tables,
        lambda table: {row[1] for row in connection.execute(f"PRAGMA table_info({_quote(table)})")},
        lambda sql: connection.execute(sql).fetchall(),
    )


def state_of(connection: sa.Connection) -> DatabaseState:
    inspector = sa.inspect(connection)
    return _state(
        sorted(inspector.get_table_names()),
        lambda table: {column["name"] for column in inspector.get_columns(table)},
        lambda sql: [tuple(row) for row in connection.execute(sa.text(sql))],
    )


def copy_sqlite(source: Path, copy: Path) -> DatabaseState:
    if not source.is_file():
        raise BackupError(_("Basis data %(path)s tidak ditemukan.", path=source))
    with (
        _closing(sqlite3.connect(source, timeout=60)) as live,
        _closing(sqlite3.connect(copy)) as target,
    ):
        live.backup(target)  # one consistent snapshot, while the portal keeps writing
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return _state_of_sqlite(target)


def dump_postgres(url: URL, dump: Path) -> DatabaseState:
    pg_dump = _program("pg_dump")
    conninfo, env = _libpq(url)
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # The counts and pg_dump see the same snapshot: the manifest matches the dump.
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            state = state_of(connection)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--file={dump}",
                    f"--snapshot={snapshot}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
    return state


def restore_sqlite(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        _closing(sqlite3.connect(copy)) as source,
        _closing(sqlite3.connect(target, timeout=60)) as live,
    ):
        # Through SQLite's own locking, so a running portal sees the old or the new data,
        # never half of each (a file copy over an open database would corrupt it).
        source.backup(live)


def restore_postgres(dump: Path, url: URL) -> None:
    pg_restore = _program("pg_restore")
    conninfo, env = _libpq(url)
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={conninfo}",
            str(dump),
        ],
        env,
    )


class _closing:
    """sqlite3's context manager commits but does not close; this closes."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_exc: object) -> None:
        self.connection.close()
