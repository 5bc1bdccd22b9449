"""`flask backup create` / `flask backup restore`: the portal in one private .tar.gz.

The archive holds `manifest.json` (format, time, database kind, Alembic revision, audit chain
head, rows per table, SHA-256 of every other member), the database (`database/portal.sqlite`, a
consistent copy made by SQLite's online backup API while the portal runs; or
`database/portal.dump`, `pg_dump -Fc` of the same snapshot the row counts were taken from) and the
instance files under `instance/` (the signing key and certificate, config.py, the development
secret key, demo files). Not archived: the job queue (huey*), earlier backups, the live SQLite
file and its -wal/-shm (they come through the database step).

Restore checks every hash before it touches anything, refuses an archive of the other database
kind, then replaces the database (SQLite: backup API into the configured file; PostgreSQL:
pg_restore in one transaction) and writes the instance files; an existing config.py is kept and
the archived one is written beside it as config.py.restored.
"""

from portal.backup.archive import read_manifest
from portal.backup.commands import backup_cli
from portal.backup.create import create_backup
from portal.backup.layout import BackupError
from portal.backup.restore import RestoreReport, restore_backup

__all__ = [
    "BackupError",
    "RestoreReport",
    "backup_cli",
    "create_backup",
    "read_manifest",
    "restore_backup",
]
