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

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.engine import URL

from portal.extensions import db

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


@dataclass
class DatabaseState:
    tables: dict[str, int]
    revision: str | None
    audit_head: str | None


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


# --- the database -------------------------------------------------------------------------------


def database_kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in DATABASE_MEMBERS:
        raise BackupError(_("Basis data %(name)s tidak didukung oleh cadangan.", name=backend))
    return backend


def _sqlite_file(url: URL) -> Path:
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


def _state_of(connection: sa.Connection) -> DatabaseState:
    inspector = sa.inspect(connection)
    return _state(
        sorted(inspector.get_table_names()),
        lambda table: {column["name"] for column in inspector.get_columns(table)},
        lambda sql: [tuple(row) for row in connection.execute(sa.text(sql))],
    )


def _copy_sqlite(source: Path, copy: Path) -> DatabaseState:
    if not source.is_file():
        raise BackupError(_("Basis data %(path)s tidak ditemukan.", path=source))
    with (
        _closing(sqlite3.connect(source, timeout=60)) as live,
        _closing(sqlite3.connect(copy)) as target,
    ):
        live.backup(target)  # one consistent snapshot, while the portal keeps writing
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return _state_of_sqlite(target)


def _dump_postgres(url: URL, dump: Path) -> DatabaseState:
    pg_dump = _program("pg_dump")
    conninfo, env = _libpq(url)
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # The counts and pg_dump see the same snapshot: the manifest matches the dump.
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            state = _state_of(connection)
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


def _restore_sqlite(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        _closing(sqlite3.connect(copy)) as source,
        _closing(sqlite3.connect(target, timeout=60)) as live,
    ):
        # Through SQLite's own locking, so a running portal sees the old or the new data,
        # never half of each (a file copy over an open database would corrupt it).
        source.backup(live)


def _restore_postgres(dump: Path, url: URL) -> None:
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


# --- the instance files -------------------------------------------------------------------------


def _skipped_paths(app: Flask, url: URL, kind: str) -> set[Path]:
    skipped: set[Path] = set()
    bases = []
    if kind == "sqlite":
        bases.append(_sqlite_file(url))
    if app.config.get("HUEY_SQLITE_PATH"):
        bases.append(Path(app.config["HUEY_SQLITE_PATH"]))
    for base in bases:
        for suffix in SQLITE_SIDE_FILES:
            skipped.add(Path(str(base) + suffix).resolve())
    return skipped


def _instance_files(app: Flask, url: URL, kind: str) -> Iterator[tuple[Path, str]]:
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


def _restore_instance_files(
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


# --- the archive --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _default_path(app: Flask) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(app.instance_path) / BACKUPS_DIR / f"portal-{stamp}.tar.gz"


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _write_archive(target: Path, manifest: dict[str, Any], members: dict[str, Path]) -> None:
    """Write aside, then rename: a reader never sees half an archive under the final name."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                info.mtime = int(datetime.now(UTC).timestamp())
                tar.addfile(info, io.BytesIO(data))
                for name, path in members.items():
                    tar.add(path, arcname=name, recursive=False, filter=_anonymous)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and len(path.parts) >= 2
        and path.parts[0] in ("database", INSTANCE_DIR)
        and all(part not in ("", ".", "..") for part in path.parts)
        and "\\" not in name
    )


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of an archive (without checking the other members)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile():
                    return _parse_manifest(_read_limited(tar, member))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(
            _("Arsip rusak atau tidak dapat dibaca (%(error)s).", error=error)
        ) from error
    raise BackupError(_("Arsip tidak berisi manifest.json."))


def _read_limited(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if member.size > MANIFEST_MAX_BYTES:
        raise BackupError(_("manifest.json terlalu besar."))
    handle = tar.extractfile(member)
    assert handle is not None
    return handle.read()


def _parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise BackupError(_("manifest.json rusak.")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("Berkas ini bukan cadangan Portal Musyawarah."))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            _(
                "Versi format cadangan %(version)s tidak dikenal.",
                version=manifest.get("format_version"),
            )
        )
    if not all(isinstance(manifest.get(key), dict) for key in ("database", "tables", "files")):
        raise BackupError(_("manifest.json rusak."))
    return manifest


def _listed(names: Iterable[str], most: int = 5) -> str:
    ordered = sorted(names)
    return ", ".join(ordered[:most]) + (" …" if len(ordered) > most else "")


def _unpack_verified(archive: Path, staging: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Unpack into `staging`, hashing as it goes; every member must be in the manifest with
    the same SHA-256, and every member of the manifest must be there."""
    if not archive.is_file():
        raise BackupError(_("Berkas %(path)s tidak ditemukan.", path=archive))
    manifest_data: bytes | None = None
    hashes: dict[str, str] = {}
    modes: dict[str, int] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile() and manifest_data is None:
                    manifest_data = _read_limited(tar, member)
                    continue
                if not member.isfile() or not _safe_member(member.name) or member.name in hashes:
                    raise BackupError(
                        _("Arsip berisi entri yang tidak diizinkan: %(name)s", name=member.name)
                    )
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                digest = hashlib.sha256()
                source = tar.extractfile(member)
                assert source is not None
                descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with source, os.fdopen(descriptor, "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                hashes[member.name] = digest.hexdigest()
                modes[member.name] = member.mode
            # Read to the end: gzip checks its CRC only there.
            while tar.fileobj is not None and tar.fileobj.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(
            _("Arsip rusak atau tidak dapat dibaca (%(error)s).", error=error)
        ) from error
    if manifest_data is None:
        raise BackupError(_("Arsip tidak berisi manifest.json."))
    manifest = _parse_manifest(manifest_data)
    expected: dict[str, str] = manifest["files"]
    missing = _listed(name for name in expected if name not in hashes)
    if missing:
        raise BackupError(_("Arsip rusak: %(names)s tidak ada di arsip.", names=missing))
    unlisted = _listed(name for name in hashes if name not in expected)
    if unlisted:
        raise BackupError(_("Arsip rusak: %(names)s tidak tercatat di manifest.", names=unlisted))
    changed = _listed(name for name in expected if expected[name] != hashes[name])
    if changed:
        raise BackupError(
            _("Arsip rusak: SHA-256 tidak cocok dengan manifest untuk %(names)s.", names=changed)
        )
    kind = manifest["database"].get("kind")
    if kind not in DATABASE_MEMBERS or DATABASE_MEMBERS[kind] not in hashes:
        raise BackupError(_("Arsip tidak berisi basis data."))
    return manifest, modes


# --- create and restore -------------------------------------------------------------------------


def create_backup(app: Flask, path: str | Path | None = None) -> Path:
    """Write the archive (to `path`, a folder for it, or instance/backups/) and return its path."""
    with app.app_context():
        url = db.engine.url  # Flask-SQLAlchemy's, with a relative SQLite path made absolute
        kind = database_kind(url)
        target = _default_path(app) if path is None else Path(path)
        if target.is_dir():
            target = target / _default_path(app).name
        target = target.absolute()
        if target.exists():
            raise BackupError(_("Berkas %(path)s sudah ada.", path=target))
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        files = list(_instance_files(app, url, kind))
        with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as temporary:
            staging = Path(temporary)
            members: dict[str, Path] = {}
            copy = staging / "database"
            if kind == "sqlite":
                state = _copy_sqlite(_sqlite_file(url), copy)
            else:
                state = _dump_postgres(url, copy)
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
                "files": {name: _sha256(staged) for name, staged in members.items()},
            }
            _write_archive(target, manifest, members)
        return target


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
            manifest, modes = _unpack_verified(Path(path), staging)
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
                _restore_sqlite(database, _sqlite_file(url))
            else:
                _restore_postgres(database, url)
            report = RestoreReport(manifest, {})
            _restore_instance_files(staging / INSTANCE_DIR, instance, modes, report.notes)
        db.engine.dispose()
        with db.engine.connect() as connection:
            report.tables = _state_of(connection).tables
        return report


# --- the commands -------------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Cadangan: basis data, kunci tanda tangan, berkas instance.")


def _echo_tables(tables: dict[str, int]) -> None:
    width = max((len(name) for name in tables), default=0)
    for name, count in sorted(tables.items()):
        click.echo(f"  {name:{width}}  {count:>9}")


def _fail(error: BackupError) -> NoReturn:
    click.echo(_("Gagal: %(error)s", error=error), err=True)
    sys.exit(1)


@backup_cli.command("create")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def create_command(path: Path | None) -> None:
    """Buat arsip cadangan (default: instance/backups/portal-WAKTU.tar.gz)."""
    try:
        # Flask types the proxy as the app itself; the app object is what is wanted here.
        archive = create_backup(current_app._get_current_object(), path)  # type: ignore[attr-defined]
        manifest = read_manifest(archive)
    except BackupError as error:
        _fail(error)
    database = manifest["database"]
    click.echo(_("Cadangan dibuat: %(path)s", path=archive))
    click.echo(
        _(
            "Basis data %(kind)s, revisi %(revision)s; jumlah baris per tabel:",
            kind=KIND_NAMES[database["kind"]],
            revision=database["alembic_revision"] or "-",
        )
    )
    _echo_tables(manifest["tables"])
    click.echo(_("Simpan arsip ini di tempat aman: berisi kunci tanda tangan dan data pribadi."))
    pkcs12 = current_app.config.get("BA_SIGNING_PKCS12")
    if pkcs12 and not Path(pkcs12).resolve().is_relative_to(
        Path(current_app.instance_path).resolve()
    ):
        click.echo(
            _(
                "Perhatian: berkas tanda tangan %(path)s ada di luar instance/ dan tidak ikut "
                "dicadangkan; simpan berkas itu dan kata sandinya secara terpisah.",
                path=pkcs12,
            ),
            err=True,
        )


@backup_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Jangan minta konfirmasi.")
def restore_command(file: Path, yes: bool) -> None:
    """Pulihkan basis data dan berkas instance dari arsip cadangan."""

    def ask(manifest: dict[str, Any]) -> bool:
        if yes:
            return True
        return click.confirm(
            _(
                "Data portal ini akan diganti dengan isi cadangan %(created)s. Lanjutkan?",
                created=manifest.get("created_at"),
            )
        )

    try:
        # Flask types the proxy as the app itself; the app object is what is wanted here.
        report = restore_backup(current_app._get_current_object(), file, confirm=ask)  # type: ignore[attr-defined]
    except BackupError as error:
        _fail(error)
    database = report.manifest["database"]
    click.echo(
        _(
            "Dipulihkan dari %(path)s (dibuat %(created)s, revisi %(revision)s).",
            path=file,
            created=report.manifest.get("created_at"),
            revision=database.get("alembic_revision") or "-",
        )
    )
    _echo_tables(report.tables)
    for note in report.notes:
        click.echo(note)
    if database.get("audit_head"):
        click.echo(
            _(
                "Periksa jejak audit: flask audit verify --expect-head %(head)s",
                head=database["audit_head"],
            )
        )
    click.echo(_("Mulai ulang portal dan pekerja agar berkas instance yang dipulihkan dipakai."))
    if report.differences:
        for name, archived, now in report.differences:
            click.echo(
                _(
                    "Jumlah baris %(table)s berbeda: cadangan %(archived)s, sekarang %(now)s.",
                    table=name,
                    archived=archived,
                    now=now,
                ),
                err=True,
            )
        sys.exit(1)
    click.echo(_("Jumlah baris sama dengan cadangan."))
