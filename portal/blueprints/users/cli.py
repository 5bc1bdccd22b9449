from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from portal.access import ROLES
from portal.blueprints.users import services as users
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.refusal import Refused

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
    help="Kata sandi awal, wajib diganti saat pertama masuk; tanpa ini dibuat kata sandi "
    "sementara (juga wajib diganti).",
)
@click.option(
    "--own-password",
    is_flag=True,
    help="Akun ini milik Anda sendiri dan --password pilihan Anda: tidak wajib diganti.",
)
def create_command(
    username: str,
    full_name: str,
    role: str,
    region_code: str,
    email: str | None,
    password: str | None,
    own_password: bool,
) -> None:
    """Buat pengguna (misalnya admin dinas sosial pertama)."""
    # A password given here is known to whoever typed it: the account must change it at first
    # login, unless the operator creates their own account (the first admin, set up by the
    # person who will use it) and says so. Only they can know that; the portal cannot.
    if own_password and password is None:
        click.echo("Gagal: --own-password hanya bersama --password.", err=True)
        sys.exit(2)
    data = users.UserData(
        username=username,
        full_name=full_name,
        role=role,
        region_code=region_code.replace(".", ""),
        email=email,
    )
    try:
        user, temporary = users.create_user(data, password=password, chosen_by_owner=own_password)
    except Refused as error:
        db.session.rollback()
        click.echo(f"Gagal: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Pengguna {user.username} ({user.role}, {user.region.dotted_code}) dibuat.")
    if temporary:
        click.echo(f"Kata sandi sementara: {temporary} (wajib diganti saat pertama masuk)")
    elif user.must_change_password:
        click.echo("Kata sandi awal wajib diganti saat pertama masuk.")


@users_cli.command("list")
def list_command() -> None:
    """Daftar semua pengguna."""
    for user in db.session.execute(db.select(User).order_by(User.username)).scalars():
        state = "aktif" if user.active else "nonaktif"
        click.echo(f"{user.username:24} {user.role:11} {user.region.dotted_code:14} {state}")
