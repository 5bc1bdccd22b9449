"""`flask audit verify`: walk the hash chain; exit 1 on any break."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from portal import audit_chain
from portal.extensions import db

audit_cli = AppGroup("audit", help="Jejak audit: periksa rantai hash.")


@audit_cli.command("verify")
@click.option(
    "--expect-head",
    metavar="SEQ:HASH",
    help="Kepala rantai yang dicatat sebelumnya (dari keluaran ini atau manifest cadangan): "
    "mendeteksi entri terakhir yang dipotong.",
)
def verify_command(expect_head: str | None) -> None:
    """Check every entry's hash and link; print the chain's head to note it elsewhere."""
    report = audit_chain.verify(db.session, expect_head=expect_head)
    if report.ok:
        click.echo(_("Rantai jejak audit utuh: %(count)d entri.", count=report.count))
        click.echo(_("Kepala: %(head)s", head=report.head))
        return
    click.echo(
        _("Rantai jejak audit RUSAK (%(count)d entri diperiksa):", count=report.count), err=True
    )
    for problem in report.problems:
        click.echo(f"  - {problem}", err=True)
    raise SystemExit(1)
