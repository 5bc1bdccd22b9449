"""`flask audit verify`: walk the hash chain; exit 1 on any break."""

from __future__ import annotations

import click
from flask.cli import AppGroup

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
        click.echo(f"Rantai jejak audit utuh: {report.count} entri.")
        click.echo(f"Kepala: {report.head}")
        return
    click.echo(f"Rantai jejak audit RUSAK ({report.count} entri diperiksa):", err=True)
    for problem in report.problems:
        click.echo(f"  - {problem}", err=True)
    raise SystemExit(1)
