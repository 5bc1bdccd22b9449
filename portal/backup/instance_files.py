"""The instance folder's part: which files an archive takes (not the job queue, earlier
backups, the live SQLite file and its side files), and how a restore writes them back (an
existing config.py is kept; the archived one is written beside it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy.engine import URL

from portal.backup.database import sqlite_file
from portal.backup.layout import BACKUPS_DIR, CHUNK, INSTANCE_DIR, SQLITE_SIDE_FILES


def _skipped_paths(app: Flask, url: URL, kind: str) -> set[Path]:
    skipped: set[Path] = set()
    bases = []
    if kind == "sqlite":
        bases.append(sqlite_file(url))
    if app.config.get("HUEY_SQLITE_PATH"):
        bases.append(Path(app.config["HUEY_SQLITE_PATH"]))
    for base in bases:
        for suffix in SQLITE_SIDE_FILES:
            skipped.add(Path(str(base) + suffix).resolve())
    return skipped


def instance_files(app: Flask, url: URL, kind: str) -> Iterator[tuple[Path, str]]:
    """(file, its path relative to instance/) for every file a restore should bring back."""
    instance = Path(app.instance_path)
    skipped = _skipped_paths(app, url, kind)
    for root, dirs, files in os.walk(instance):
        here = Path(root)
        top = here == instance
        dirs[:] = sorted(
            name
            for name in dirs
            if not (top and name == BACKUPS_DIR)
            and name != "__pycache__"
            and not name.startswith((".backup-", ".restore-"))
        )
        for name in sorted(files):
            path = here / name
            if top and name.startswith("huey"):
                continue
            if name.endswith((".partial", ".tmp")) or path.is_symlink() or not path.is_file():
                continue
            if path.resolve() in skipped:
                continue
            yield path, path.relative_to(instance).as_posix()


def restore_instance_files(
    source: Path, instance: Path, modes: dict[str, int], notes: list[str]
) -> None:
    if not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(source).as_posix()
        target = instance / relative
        if relative == "config.py" and target.exists():
            if target.read_bytes() == path.read_bytes():
                continue
            target = instance / "config.py.restored"
            notes.append(
                _(
                    "instance/config.py tidak ditimpa; config.py dari cadangan ditulis ke "
                    "%(path)s.",
                    path=target,
                )
            )
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        mode = modes.get(f"{INSTANCE_DIR}/{relative}", 0o600) & 0o777
        temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as out, path.open("rb") as data:
                shutil.copyfileobj(data, out, CHUNK)
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
