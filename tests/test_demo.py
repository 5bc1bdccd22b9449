"""`flask demo seed`: idempotent, real codes, every demo user logs in and sees their home."""

from __future__ import annotations

import pytest

from portal.audit import AuditEntry
from portal.blueprints.regions.models import Region
from portal.blueprints.users.models import User
from portal.demo.seed import DEMO_PASSWORD, DEMO_USERS
from portal.extensions import db


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(db.select(db.func.count()).select_from(Region)),
        db.session.scalar(db.select(db.func.count()).select_from(User)),
    )


def test_seed_is_idempotent_and_prints_logins(runner):
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    for demo in DEMO_USERS:
        assert demo.username in first.output
    assert DEMO_PASSWORD in first.output
    counts = _counts()
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert _counts() == counts
    assert db.session.get(Region, "1706").name == "Kabupaten Mukomuko"
    assert db.session.get(Region, "170605").name == "Ipuh"
    assert db.session.get(Region, "1372").name == "Kota Solok"
    # Ipuh's villages are desa (musdes), Kota Solok's kelurahan (muskel)
    ipuh = db.session.execute(db.select(Region).where(Region.parent_code == "170605")).scalars()
    assert {r.meeting_kind for r in ipuh} == {"musdes"}
    solok = db.session.execute(
        db.select(Region).where(Region.parent_code.in_(["137201", "137202"]))
    ).scalars()
    assert {r.meeting_kind for r in solok} == {"muskel"}


@pytest.mark.parametrize("demo", DEMO_USERS, ids=lambda d: d.username)
def test_every_demo_user_logs_in_and_sees_home(runner, client, demo):
    runner.invoke(args=["demo", "seed"])
    response = client.post("/masuk", data={"username": demo.username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert f"Selamat datang, {demo.full_name}" in page
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "auth.login")
        )
        == 1
    )


def test_seed_leaves_a_meeting_in_every_state_and_a_signed_berita_acara(runner, app):
    from pathlib import Path

    from portal.blueprints.berita_acara.models import BeritaAcara
    from portal.blueprints.meetings.models import Meeting

    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    states = sorted(db.session.execute(db.select(Meeting.state)).scalars())
    assert states == ["confirmed", "decided", "in_session", "locked", "returned", "scheduled"]
    bas = db.session.execute(db.select(BeritaAcara)).scalars().all()
    assert len(bas) == 3 and all(ba.status == "done" for ba in bas), [b.error for b in bas]
    locked = db.session.execute(db.select(Meeting).where(Meeting.state == "locked")).scalar_one()
    ba = next(ba for ba in bas if ba.meeting_id == locked.id)
    copy = Path(app.instance_path) / "demo" / f"berita-acara-{ba.meeting_id}.pdf"
    assert copy.read_bytes() == ba.pdf


def test_seed_leaves_a_confirmed_meeting_partly_entered_and_a_returned_one(runner, app):
    from portal.blueprints.entry.models import EntryMark
    from portal.blueprints.meetings.models import Meeting
    from portal.blueprints.register.models import Household
    from portal.blueprints.review.models import MeetingReview

    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "dikonfirmasi camat" in result.output and "dikembalikan camat" in result.output
    confirmed = db.session.execute(
        db.select(Meeting).where(Meeting.state == "confirmed")
    ).scalar_one()
    review = db.session.execute(
        db.select(MeetingReview).where(MeetingReview.meeting_id == confirmed.id)
    ).scalar_one()
    marks = (
        db.session.execute(db.select(EntryMark).where(EntryMark.meeting_id == confirmed.id))
        .scalars()
        .all()
    )
    assert 0 < len(marks) < review.entry_total
    assert {m.status for m in marks} == {"entered", "rejected"}
    removed = db.session.scalar(
        db.select(db.func.count())
        .select_from(Household)
        .where(Household.removed_meeting_id == confirmed.id)
    )
    assert removed == 2  # meninggal, pindah; the sudah_mampu tally (3:2:1) is no majority
    returned = db.session.execute(
        db.select(Meeting).where(Meeting.state == "returned")
    ).scalar_one()
    note = db.session.execute(
        db.select(MeetingReview.note).where(MeetingReview.meeting_id == returned.id)
    ).scalar_one()
    assert "Daftar hadir" in note
