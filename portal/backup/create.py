"""`create_backup`: the database copied, the instance files staged, the manifest written, the
archive made."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask_babel import gettext as _

from portal.backup.archive import default_path, sha256, write_archive
from portal.backup.database import copy_sqlite, database_kind, dump_postgres, sqlite_file
from portal.backup.instance_files import instance_files
from portal.backup.layout import DATABASE_MEMBERS, FORMAT, FORMAT_VERSION, INSTANCE_DIR, BackupError
from portal.extensions import db


def create_backup(app: Flask, path: str | Path | None = None) -> Path:
    """Write the archive (to `path`, a folder for it, or instance/backups/) and return its path."""
    with app.app_context():
        url = db.engine.url  # Flask-SQLAlchemy's, with a relative SQLite path made absolute
        kind = database_kind(url)
        target = default_path(app) if path is None else Path(path)
        if target.is_dir():
            target = target / default_path(app).name
        target = target.absolute()
        if target.exists():
            raise BackupError(_("Berkas %(path)s sudah ada.", path=target))
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        files = list(instance_files(app, url, kind))
        with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as temporary:
            staging = Path(temporary)
            members: dict[str, Path] = {}
            copy = staging / "database"
            if kind == "sqlite":
                state = copy_sqlite(sqlite_file(url), copy)
            else:
                state = dump_postgres(url, copy)
            members[DATABASE_MEMBERS[kind]] = copy
            for source, relative in files:
                staged = staging / INSTANCE_DIR / relative
                staged.parent.mkdir(parents=True, exist_ok=True)
                try:
                    shutil.copy2(source, staged)
                except FileNotFoundError:  # removed meanwhile (a temporary file)
                    continue
                members[f"{INSTANCE_DIR}/{relative}"] = staged
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "database": {
                    "kind": kind,
                    "alembic_revision": state.revision,
                    "audit_head": state.audit_head,
                },
                "tables": state.tables,
                "files": {name: sha256(staged) for name, staged in members.items()},
            }
            write_archive(target, manifest, members)
        return target
