"""What an archive holds and where (its members, its format's name and version, the limits a
reader keeps to), and the one error every step of a backup or a restore raises."""

from __future__ import annotations

FORMAT = "portal-musyawarah-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/portal.sqlite", "postgresql": "database/portal.dump"}
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
INSTANCE_DIR = "instance"
BACKUPS_DIR = "backups"
CHUNK = 1024 * 1024
MANIFEST_MAX_BYTES = 10 * 1024 * 1024
SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


class BackupError(Exception):
    """The backup or the restore cannot go on; the message (Indonesian) says why."""
