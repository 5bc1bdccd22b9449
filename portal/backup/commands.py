"""`flask backup create` and `flask backup restore`: what they print, and exit 1 on a failure or
on row counts that differ after a restore."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from portal.backup.archive import read_manifest
from portal.backup.create import create_backup
from portal.backup.layout import KIND_NAMES, BackupError
from portal.backup.restore import restore_backup

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
