from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.blueprints.register import services
from portal.blueprints.register.applying import apply_plan
from portal.blueprints.register.reading import FileProblem
from portal.extensions import db

register_cli = AppGroup("register", help="Register (prelist) keluarga.")


@register_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--village", "village", help="Kode desa/kelurahan tujuan (10 digit).")
@click.option("--kabupaten", "kabupaten", help="Kode kabupaten/kota tujuan (4 digit).")
@click.option("--dry-run", is_flag=True, help="Hanya tampilkan pratinjau; tidak menulis apa pun.")
def import_command(file: Path, village: str | None, kabupaten: str | None, dry_run: bool) -> None:
    """Impor ekspor register (XLSX, CSV, teks pipa) ke satu desa atau satu kabupaten."""
    if bool(village) == bool(kabupaten):
        click.echo("Sebutkan tepat satu: --village KODE atau --kabupaten KODE.", err=True)
        sys.exit(2)
    scope = (village or kabupaten or "").replace(".", "")
    started = time.perf_counter()
    try:
        analysis = services.analyse(file.read_bytes(), scope)
    except (FileProblem, services.ImportRefused) as problem:
        click.echo(f"Ditolak: {problem.message}", err=True)
        sys.exit(1)
    summary = analysis.summary()
    for issue in analysis.issues:
        row, column, message, severity = issue.as_list()
        label = "PERINGATAN" if severity == "warning" else "DITOLAK"
        where = f" [{column}]" if column else ""
        click.echo(f"baris {row}{where}: {label}: {message}", err=True)
    click.echo(
        "Baris: {rows} ({rows_valid} sah, {rows_rejected} ditolak). Keluarga: {families_in_file} "
        "di berkas; {add} baru, {change} berubah, {unchanged} tetap, {reactivate} aktif kembali, "
        "{remove} dikeluarkan, {held} ditahan. Anggota baru: {persons_new}.".format(**summary)
    )
    if not summary["families_in_file"]:
        click.echo("Tidak ada keluarga yang sah: tidak ada yang ditulis.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("Uji coba (--dry-run): tidak ada yang ditulis.")
        return
    apply_plan(analysis.plan, import_id=None, user_id=None)
    from portal import audit

    audit.record(
        "register.import_apply",
        object_type="register_import",
        region_code=scope,
        details={
            "source": "cli",
            "file": file.name,
            **{k: v for k, v in summary.items() if isinstance(v, int)},
        },
    )
    db.session.commit()
    click.echo(f"Tersimpan ({time.perf_counter() - started:.1f} dtk).")
