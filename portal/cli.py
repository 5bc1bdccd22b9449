"""Command-line groups: `flask regions|users|demo|ba|audit|backup …`."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from portal.backup import backup_cli
    from portal.blueprints.audit.cli import audit_cli
    from portal.blueprints.berita_acara.cli import ba_cli
    from portal.blueprints.regions.cli import regions_cli
    from portal.blueprints.register.cli import register_cli
    from portal.blueprints.users.cli import users_cli
    from portal.demo.cli import demo_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(ba_cli)
    app.cli.add_command(regions_cli)
    app.cli.add_command(register_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
