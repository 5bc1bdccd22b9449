"""Demo data: the regions of the seed articles' places and one user of each role.

`flask demo seed` is idempotent: regions are upserted, users created once and their demo
password restored, so the printed logins always work.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.blueprints.regions.services import import_regions
from portal.blueprints.users import services as users
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.passwords import hash_password

_NINE = time(9, 0)
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
    from portal.blueprints.register import synthetic
    from portal.blueprints.register.applying import apply_plan
    from portal.blueprints.register.models import Household
    from portal.blueprints.register.planning import build_plan
    from portal.blueprints.register.reading import read_table
    from portal.blueprints.register.services import target_of
    from portal.blueprints.register.validation import validate_table

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


def seed_meeting() -> bool:
    """A scheduled musdes in Pasar Ipuh with its invitees and three proposals, unless the
    village already has a meeting. Returns whether one was made."""
    from portal.blueprints.meetings import services as meetings
    from portal.blueprints.meetings.models import Meeting
    from portal.blueprints.register.models import Household

    village = "1706052006"
    if db.session.execute(db.select(Meeting.id).where(Meeting.village_code == village)).first():
        return False
    secretary = db.session.execute(
        db.select(User).where(User.username == "sekdes.pasaripuh")
    ).scalar_one()
    meeting = meetings.create_meeting(
        village,
        meetings.MeetingData(
            number="001/MUSDES-DTSEN/XI/2026",
            meeting_date=date.today() + timedelta(days=7),
            start_time=None,
            place="Balai Desa Pasar Ipuh",
            agenda="Verifikasi dan validasi DTSEN periode ini",
            chair_name=CHAIR,
            notulen_name=NOTULEN,
            bpd_name=BPD_CHAIR,
            period=date.today().strftime("%Y-%m"),
        ),
        user=secretary,
    )
    for name, unsur, votes, position in DEMO_INVITEES + EXTRA_INVITEES:
        meetings.add_participant(
            meeting,
            meetings.ParticipantData(name=name, unsur=unsur, votes=votes, position=position),
            user=secretary,
        )
    meetings.add_participant(
        meeting,
        meetings.ParticipantData(name="Staf Kecamatan", unsur="pengamat", votes=False),
        user=secretary,
    )
    db.session.refresh(meeting)
    meetings.move(meeting, "schedule", user=secretary)
    families = (
        db.session.execute(
            db.select(Household)
            .where(Household.village_code == village)
            .order_by(Household.id)
            .limit(3)
        )
        .scalars()
        .all()
    )
    for family, reason in zip(families[:2], ("sudah_mampu", "meninggal"), strict=True):
        meetings.add_removal(
            meeting,
            family,
            reason=reason,
            reason_text=None,
            proposer="rt_rw",
            proposer_name="Ketua RT 001",
            note=None,
            user=secretary,
        )
    if len(families) == 3:
        meetings.add_correction(
            meeting,
            families[2],
            changes={"alamat": "Jl. Merdeka No. 10"},
            remove_members=[],
            proposer="warga",
            proposer_name=None,
            note="Alamat pindah di desa yang sama",
            user=secretary,
        )
    db.session.flush()
    return True


# The people of Pasar Ipuh's meetings (invented): the berita acara prints their names.
CHAIR, NOTULEN, BPD_CHAIR = "H. Syafrizal", "Rini Marlina", "Darwis Effendi"
DEMO_INVITEES = (
    (CHAIR, "kepala_desa", True, "Kepala Desa"),
    (BPD_CHAIR, "bpd_lpm", True, "Ketua BPD"),
    ("Junaidi", "rt_rw", True, "Ketua RT 001"),
    ("Sumarni", "rt_rw", True, "Ketua RT 002"),
    ("Bahtiar Lubis", "tokoh_masyarakat", True, None),
    ("Ustaz Hamdani", "tokoh_agama", True, None),
    ("Rahmat Hidayat", "pendamping_pkh", False, "Pendamping PKH"),
    (NOTULEN, "notulen", False, "Sekretaris Desa"),
)
EXTRA_INVITEES = (
    ("Zulkifli", "rt_rw", True, "Ketua RW 001"),
    ("Yusnidar", "pkk", True, "Ketua PKK"),
)


def _earlier_meeting(
    secretary: User, *, number: str, days_ago: int, stage: str, held_late: int = 0
):
    """A past (or running) musdes of Pasar Ipuh taken to `stage`: in_session, decided, locked
    (also the start of confirmed and returned). Each stage removes its own three families.
    `held_late`: held that many days after the day scheduled (its berita acara says so)."""
    from portal.blueprints.meetings import services as meetings
    from portal.blueprints.register.models import Household

    village = "1706052006"
    day = date.today() - timedelta(days=days_ago)
    meeting = meetings.create_meeting(
        village,
        meetings.MeetingData(
            number=number,
            meeting_date=day,
            start_time=None if stage == "in_session" else _NINE,
            place="Balai Desa Pasar Ipuh",
            agenda="Verifikasi dan validasi DTSEN",
            chair_name=CHAIR,
            notulen_name=NOTULEN,
            bpd_name=BPD_CHAIR,
            period=day.strftime("%Y-%m"),
        ),
        user=secretary,
    )
    for name, unsur, votes, position in DEMO_INVITEES:
        meetings.add_participant(
            meeting,
            meetings.ParticipantData(name=name, unsur=unsur, votes=votes, position=position),
            user=secretary,
        )
    db.session.refresh(meeting)
    meetings.move(meeting, "schedule", user=secretary)
    meetings.move(meeting, "open", user=secretary, confirm_other_day=True)
    for participant in meeting.participants[: 5 if stage == "in_session" else None]:
        meetings.check_in(meeting, participant, user=secretary)
    offset = {"locked": 3, "decided": 6, "in_session": 9, "confirmed": 12, "returned": 15}[stage]
    families = (
        db.session.execute(
            db.select(Household)
            .where(Household.village_code == village)
            .order_by(Household.id)
            .offset(offset)
            .limit(3)
        )
        .scalars()
        .all()
    )
    for family, reason in zip(families, ("meninggal", "pindah", "sudah_mampu"), strict=False):
        proposal = meetings.add_removal(
            meeting,
            family,
            reason=reason,
            reason_text=None,
            proposer="rt_rw",
            proposer_name="Ketua RT 001",
            note=None,
            user=secretary,
        )
        if stage == "in_session":
            continue
        if reason == "sudah_mampu":
            meetings.record_tally(meeting, proposal, yes=3, no=2, abstain=1, user=secretary)
        else:
            meetings.decide_by_consensus(meeting, proposal, user=secretary)
    if stage != "in_session":
        meetings.move(meeting, "decide", user=secretary)
        # As it happened on the day: opened at nine, decided an hour and a quarter later.
        held = day + timedelta(days=held_late)
        opened = datetime.combine(held, time(2, 0), tzinfo=UTC)  # 09:00 WIB
        meeting.opened_at, meeting.decided_at = opened, opened + timedelta(minutes=75)
    db.session.flush()
    return meeting


def seed_meeting_states() -> list[str]:
    """Pasar Ipuh's earlier meetings, one in each state the portal has: locked (with its signed
    berita acara, also copied to instance/demo/), decided, in session. Skipped when Pasar Ipuh
    already has meetings beyond the scheduled one."""
    from pathlib import Path

    from flask import current_app

    from portal.blueprints.meetings.models import Meeting

    village = "1706052006"
    if (
        db.session.execute(
            db.select(db.func.count()).where(Meeting.village_code == village)
        ).scalar_one()
        > 1
    ):
        return []
    secretary = db.session.execute(
        db.select(User).where(User.username == "sekdes.pasaripuh")
    ).scalar_one()
    made = _reviewed_meetings(secretary)
    locked = _earlier_meeting(
        secretary, number="001/MUSDES-DTSEN/IX/2026", days_ago=61, stage="locked", held_late=2
    )
    ba = _lock(locked, secretary)
    if ba is not None and ba.status == "done":
        folder = Path(current_app.instance_path) / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"berita-acara-{locked.id}.pdf").write_bytes(ba.pdf)
        made.append(f"dikunci (berita acara: instance/demo/berita-acara-{locked.id}.pdf)")
    else:
        made.append(f"diputuskan; berita acara gagal: {ba.error if ba else '?'}")
    _earlier_meeting(secretary, number="002/MUSDES-DTSEN/X/2026", days_ago=30, stage="decided")
    made.append("diputuskan")
    _earlier_meeting(secretary, number="003/MUSDES-DTSEN/XI/2026", days_ago=0, stage="in_session")
    made.append("sedang berlangsung")
    db.session.commit()
    return made


def _lock(meeting, secretary: User):
    from portal.blueprints.berita_acara import services as berita_acara

    ba = berita_acara.request_lock(meeting, user=secretary)
    db.session.commit()
    berita_acara.generate(ba.id)
    return berita_acara.of_meeting(meeting.id)


def _reviewed_meetings(secretary: User) -> list[str]:
    """Two older musdes the camat has reviewed: one confirmed (the register moved forward; the
    operator entered part of it in SIKS-NG, one family rejected there) and one returned."""
    from portal.blueprints.entry import services as entry
    from portal.blueprints.review import services as review

    camat = db.session.execute(db.select(User).where(User.username == "camat.ipuh")).scalar_one()
    operator = db.session.execute(
        db.select(User).where(User.username == "operator.ipuh")
    ).scalar_one()
    made = []
    confirmed = _earlier_meeting(
        secretary, number="007/MUSDES-DTSEN/VII/2026", days_ago=120, stage="confirmed"
    )
    ba = _lock(confirmed, secretary)
    if ba is None or ba.status != "done":
        return [f"berita acara gagal: {ba.error if ba else '?'}"]
    review.confirm(confirmed, user=camat, note="Hadir sebagai pengamat; musyawarah tertib.")
    families = entry.decided_families(confirmed)
    # Confirmed: every family of the list is in the register (those that left, as removed).
    ids = [(f.category, f.household_id) for f in families if f.household_id is not None]
    done = [household_id for category, household_id in ids if category != "tetap"]
    entry.mark(confirmed, done[:-1], "entered", None, operator)
    entry.mark(
        confirmed, done[-1:], "rejected", "NIK kepala keluarga tidak padan Dukcapil", operator
    )
    tetap = [household_id for category, household_id in ids if category == "tetap"]
    entry.mark(confirmed, tetap[: len(tetap) // 2], "entered", None, operator)
    db.session.commit()
    made.append("dikonfirmasi camat (entri SIKS-NG sebagian)")
    returned = _earlier_meeting(
        secretary, number="008/MUSDES-DTSEN/VIII/2026", days_ago=90, stage="returned"
    )
    ba = _lock(returned, secretary)
    if ba is not None and ba.status == "done":
        review.return_meeting(
            returned,
            user=camat,
            note="Daftar hadir tidak ditandatangani peserta; unggah pindaian yang lengkap.",
        )
        db.session.commit()
        made.append("dikembalikan camat")
    return made


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
