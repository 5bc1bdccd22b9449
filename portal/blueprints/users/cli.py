from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from portal.access import ROLES
from portal.blueprints.users import services as users
from portal.blueprints.users.models import User
from portal.extensions import db

users_cli = AppGroup("users", help="Akun pengguna portal.")


@users_cli.command("create")
@click.option("--username", required=True, help="Nama pengguna (huruf kecil).")
@click.option("--name", "full_name", required=True, help="Nama lengkap.")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--region", "region_code", required=True, help="Kode wilayah (bertitik atau polos).")
@click.option("--email", default=None)
@click.option(
    "--password",
    default=None,
    help="Kata sandi; tanpa ini dibuat kata sandi sementara yang wajib diganti saat masuk.",
)
def create_command(
    username: str,
    full_name: str,
    role: str,
    region_code: str,
    email: str | None,
    password: str | None,
) -> None:
    """Buat pengguna (misalnya admin dinas sosial pertama)."""
    data = users.UserData(
        username=username,
        full_name=full_name,
        role=role,
        region_code=region_code.replace(".", ""),
        email=email,
    )
    try:
        user, temporary = users.create_user(data, password=password)
    except users.UserError as error:
        db.session.rollback()
        click.echo(f"Gagal: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Pengguna {user.username} ({user.role}, {user.region.dotted_code}) dibuat.")
    if temporary:
        click.echo(f"Kata sandi sementara: {temporary} (wajib diganti saat pertama masuk)")


@users_cli.command("list")
def list_command() -> None:
    """Daftar semua pengguna."""
    for user in db.session.execute(db.select(User).order_by(User.username)).scalars():
        state = "aktif" if user.active else "nonaktif"
        click.echo(f"{user.username:24} {user.role:11} {user.region.dotted_code:14} {state}")
