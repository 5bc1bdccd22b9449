"""Demo meetings of Desa Pasar Ipuh: one scheduled, and earlier ones in every other state.

The earlier ones are taken through the real services (invitees, check-in, proposals, decisions,
the berita acara locked and signed, the camat's review, the operator's SIKS-NG marks); only
the times a meeting opened and was decided are set by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from portal.blueprints.users.models import User
from portal.extensions import db

_NINE = time(9, 0)


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
    from portal.blueprints.berita_acara import tasks as berita_acara_job

    ba = berita_acara.request_lock(meeting, user=secretary)
    db.session.commit()
    berita_acara_job.generate(ba.id)
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
