"""Demo data: the regions of the seed articles' places, one user of each role, and a synthetic
prelist for every demo village.

Idempotent: regions are upserted, users created once and their demo password restored, so the
printed logins always work; a village that already has families keeps them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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
    nip: str | None = None  # invented, as every demo person is


DEMO_USERS = (
    DemoUser("admin.mukomuko", "Admin Dinsos Mukomuko", "admin", "1706"),
    DemoUser("camat.ipuh", "Drs. Hendri Saputra", "camat", "170605", "197305121998031004"),
    DemoUser("sekdes.pasaripuh", "Sekretaris Desa Pasar Ipuh", "sekretaris", "1706052006"),
    DemoUser("operator.ipuh", "Operator SIKS-NG Ipuh", "operator", "170605"),
    DemoUser("admin.solok", "Admin Dinsos Kota Solok", "admin", "1372"),
    DemoUser("sekkel.tanahgaram", "Sekretaris Kelurahan Tanah Garam", "sekretaris", "1372011001"),
)


def seed_prelists(families_per_village: int = 40) -> int:
    """Give every demo village a prelist from the synthetic generator, unless it has families.

    Idempotent: a village that already has families is left as it is. Returns how many villages
    got a prelist.
    """
    from portal.blueprints.regions.models import VILLAGE, Region
    from portal.blueprints.register.applying import apply_plan
    from portal.blueprints.register.models import Household
    from portal.blueprints.register.planning import build_plan
    from portal.blueprints.register.reading import read_table
    from portal.blueprints.register.services import target_of
    from portal.blueprints.register.validation import validate_table
    from portal.demo import synthetic

    villages = (
        db.session.execute(
            db.select(Region).where(
                Region.level == VILLAGE, Region.code.in_([code for code in _demo_village_codes()])
            )
        )
        .scalars()
        .all()
    )
    filled = set(
        db.session.execute(
            db.select(Household.village_code)
            .where(Household.village_code.in_([v.code for v in villages]))
            .distinct()
        ).scalars()
    )
    todo = [v for v in villages if v.code not in filled]
    by_kabupaten: dict[str, list[Region]] = {}
    for village in todo:
        by_kabupaten.setdefault(village.code[:4], []).append(village)
    for kabupaten, members in sorted(by_kabupaten.items()):
        # One generator call per kabupaten: its NIKs and KKs are unique across the villages.
        rows, _ = synthetic.generate(
            synthetic.villages_from_regions(members),
            families_per_village=families_per_village,
            seed=int(kabupaten),
        )
        with tempfile.TemporaryDirectory() as tmp:
            data = synthetic.write(rows, Path(tmp) / "prelist.csv", "csv").read_bytes()
        targets, resolver, single = target_of(kabupaten)
        validated = validate_table(
            read_table(data),
            target_codes=targets,
            resolver=resolver,
            today=date.today(),
            single_village=single,
        )
        apply_plan(build_plan(validated, targets), import_id=None, user_id=None)
    db.session.flush()
    return len(todo)


def _demo_village_codes() -> list[str]:
    import csv

    with DEMO_REGIONS.open(encoding="utf-8") as handle:
        return [
            row["kode"].replace(".", "")
            for row in csv.DictReader(handle)
            if len(row["kode"].replace(".", "")) == 10
        ]


def seed() -> list[DemoUser]:
    report = import_regions(DEMO_REGIONS)
    if report.errors:
        raise RuntimeError(f"demo regions file is broken: {report.errors[:3]}")
    for demo in DEMO_USERS:
        user = db.session.execute(
            db.select(User).where(User.username == demo.username)
        ).scalar_one_or_none()
        if user is None:
            user, _password = users.create_user(
                users.UserData(
                    demo.username, demo.full_name, demo.role, demo.region_code, nip=demo.nip
                ),
                password=DEMO_PASSWORD,
            )
        else:
            user.password_hash = hash_password(DEMO_PASSWORD)
            user.active = True
        # The demo's published password: nobody is made to change it (a password set by
        # someone else is, anywhere but here).
        user.must_change_password = False
    db.session.flush()
    return list(DEMO_USERS)
