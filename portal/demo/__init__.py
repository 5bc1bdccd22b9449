"""Demo data: the regions of the seed articles' places and one user of each role.

`flask demo seed` is idempotent: regions are upserted, users created once and their demo
password restored, so the printed logins always work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.blueprints.regions.services import import_regions
from portal.blueprints.users import services as users
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.passwords import hash_password

DEMO_REGIONS = Path(__file__).with_name("wilayah_demo.csv")
DEMO_PASSWORD = "musyawarah-demo-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    region_code: str


DEMO_USERS = (
    DemoUser("admin.mukomuko", "Admin Dinsos Mukomuko", "admin", "1706"),
    DemoUser("camat.ipuh", "Camat Ipuh", "camat", "170605"),
    DemoUser("sekdes.pasaripuh", "Sekretaris Desa Pasar Ipuh", "sekretaris", "1706052006"),
    DemoUser("operator.ipuh", "Operator SIKS-NG Ipuh", "operator", "170605"),
    DemoUser("admin.solok", "Admin Dinsos Kota Solok", "admin", "1372"),
    DemoUser("sekkel.tanahgaram", "Sekretaris Kelurahan Tanah Garam", "sekretaris", "1372011001"),
)


def seed() -> list[DemoUser]:
    report = import_regions(DEMO_REGIONS)
    if report.errors:
        raise RuntimeError(f"demo regions file is broken: {report.errors[:3]}")
    for demo in DEMO_USERS:
        user = db.session.execute(
            db.select(User).where(User.username == demo.username)
        ).scalar_one_or_none()
        if user is None:
            users.create_user(
                users.UserData(demo.username, demo.full_name, demo.role, demo.region_code),
                password=DEMO_PASSWORD,
            )
        else:
            user.password_hash = hash_password(DEMO_PASSWORD)
            user.active = True
            user.must_change_password = False
    db.session.flush()
    return list(DEMO_USERS)


demo_cli = AppGroup("demo", help="Data demo.")


@demo_cli.command("seed")
def seed_command() -> None:
    """Isi wilayah demo (Mukomuko/Ipuh, Kota Solok) dan satu pengguna per peran."""
    created = seed()
    db.session.commit()
    click.echo("Data demo siap. Masuk di http://127.0.0.1:5000 dengan:")
    for demo in created:
        click.echo(f"  {demo.username:20} {DEMO_PASSWORD}   ({demo.role}, {demo.full_name})")
