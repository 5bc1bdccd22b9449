"""`restore_backup`: the archive verified, the database and the instance files replaced, the
rows counted again for the report."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from portal.backup.archive import unpack_verified
from portal.backup.database import (
    database_kind,
    restore_postgres,
    restore_sqlite,
    sqlite_file,
    state_of,
)
from portal.backup.instance_files import restore_instance_files
from portal.backup.layout import (
    BACKUPS_DIR,
    DATABASE_MEMBERS,
    INSTANCE_DIR,
    KIND_NAMES,
    BackupError,
)
from portal.extensions import db


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    tables: dict[str, int]
    notes: list[str] = field(default_factory=list)

    @property
    def differences(self) -> list[tuple[str, int | None, int | None]]:
        """(table, rows in the archive, rows now) for every table whose count differs."""
        expected: dict[str, int] = self.manifest["tables"]
        return [
            (name, expected.get(name), self.tables.get(name))
            for name in sorted(set(expected) | set(self.tables))
            if expected.get(name) != self.tables.get(name)
        ]


def restore_backup(
    app: Flask,
    path: str | Path,
    *,
    confirm: Callable[[dict[str, Any]], bool] | None = None,
) -> RestoreReport:
    """Replace the database and the instance files with the archive's. Nothing changes when the
    archive is damaged, of the other database kind, or `confirm(manifest)` says no."""
    with app.app_context():
        url = db.engine.url
        kind = database_kind(url)
        instance = Path(app.instance_path)
        work = instance / BACKUPS_DIR
        work.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=work) as temporary:
            staging = Path(temporary)
            manifest, modes = unpack_verified(Path(path), staging)
            archived = manifest["database"]["kind"]
            if archived != kind:
                raise BackupError(
                    _(
                        "Cadangan ini berisi basis data %(archived)s, sedangkan portal ini "
                        "memakai %(current)s: pemulihan ditolak.",
                        archived=KIND_NAMES[archived],
                        current=KIND_NAMES[kind],
                    )
                )
            if confirm is not None and not confirm(manifest):
                raise BackupError(_("Pemulihan dibatalkan."))
            # Our own connections would hold locks the restore waits for.
            db.session.remove()
            db.engine.dispose()
            database = staging / DATABASE_MEMBERS[kind]
            if kind == "sqlite":
                restore_sqlite(database, sqlite_file(url))
            else:
                restore_postgres(database, url)
            report = RestoreReport(manifest, {})
            restore_instance_files(staging / INSTANCE_DIR, instance, modes, report.notes)
        db.engine.dispose()
        with db.engine.connect() as connection:
            report.tables = state_of(connection).tables
        return report
