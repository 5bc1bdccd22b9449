"""The .tar.gz itself: written aside and renamed, private, with `manifest.json`; read back with
every member checked against the manifest's SHA-256 before anything is touched."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from portal.backup.layout import (
    BACKUPS_DIR,
    CHUNK,
    DATABASE_MEMBERS,
    FORMAT,
    FORMAT_VERSION,
    INSTANCE_DIR,
    MANIFEST,
    MANIFEST_MAX_BYTES,
    BackupError,
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def default_path(app: Flask) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(app.instance_path) / BACKUPS_DIR / f"portal-{stamp}.tar.gz"


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_archive(target: Path, manifest: dict[str, Any], members: dict[str, Path]) -> None:
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


def unpack_verified(archive: Path, staging: Path) -> tuple[dict[str, Any], dict[str, int]]:
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
