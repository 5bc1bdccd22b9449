"""`flask demo seed`: the demo data, and the logins it prints."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.demo.meetings import seed_meeting, seed_meeting_states
from portal.demo.seed import DEMO_PASSWORD, seed, seed_prelists
from portal.extensions import db

demo_cli = AppGroup("demo", help="Data demo.")


@demo_cli.command("seed")
def seed_command() -> None:
    """Isi wilayah demo (Mukomuko/Ipuh, Kota Solok) dan satu pengguna per peran."""
    created = seed()
    villages = seed_prelists()
    made_meeting = seed_meeting()
    db.session.commit()
    states_made = seed_meeting_states()
    if made_meeting:
        click.echo("Musdes demo terjadwal di Desa Pasar Ipuh (masuk sebagai sekdes.pasaripuh).")
    if states_made:
        click.echo("Musdes Pasar Ipuh sebelumnya: " + "; ".join(states_made) + ".")
    if villages:
        click.echo(f"Prelist sintetis dibuat untuk {villages} desa/kelurahan demo.")
    click.echo("Data demo siap. Masuk di http://127.0.0.1:5000 dengan:")
    for demo in created:
        click.echo(f"  {demo.username:20} {DEMO_PASSWORD}   ({demo.role}, {demo.full_name})")
