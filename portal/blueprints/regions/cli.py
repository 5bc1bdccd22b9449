from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.blueprints.regions.services import import_regions
from portal.extensions import db

regions_cli = AppGroup("regions", help="Data wilayah Kemendagri.")


@regions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Impor baris yang sah dan laporkan yang salah (bawaan: tidak menulis apa pun).",
)
def import_command(file: Path, skip_invalid: bool) -> None:
    """Impor CSV `kode,nama` (kode bertitik atau polos); aman diulang."""
    started = time.perf_counter()
    report = import_regions(file, skip_invalid=skip_invalid)
    for line, message in report.errors:
        click.echo(f"baris {line}: {message}", err=True)
    if report.errors and not skip_invalid:
        db.session.rollback()
        click.echo(
            f"{len(report.errors)} baris salah; tidak ada yang ditulis. "
            "Perbaiki berkas atau pakai --skip-invalid.",
            err=True,
        )
        sys.exit(1)
    db.session.commit()
    click.echo(
        f"{report.added} ditambah, {report.changed} diubah, {report.unchanged} tetap, "
        f"{len(report.errors)} ditolak ({time.perf_counter() - started:.1f} dtk)."
    )
