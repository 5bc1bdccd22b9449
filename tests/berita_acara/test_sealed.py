"""After the lock nothing of the meeting changes: every mutating route answers 409 and writes
nothing, and the database itself refuses updates and deletes (triggers, both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEntry
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.meetings.models import (
    Meeting,
    MeetingMove,
    Participant,
    Proposal,
    ProposalPhoto,
    Vote,
)
from portal.extensions import db

TABLES = (Meeting, MeetingMove, Participant, Proposal, ProposalPhoto, Vote, AuditEntry)


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.execute(select(func.count()).select_from(model)).scalar()
        for model in TABLES
    }


def refused(sql: str, **params) -> None:
    with pytest.raises(IntegrityError) as error:
        db.session.execute(text(sql), params)
        db.session.flush()
    assert "dikunci" in str(error.value)
    db.session.rollback()


def test_the_database_refuses_changes_to_a_locked_meetings_rows(locked):
    meeting, _ba = locked
    proposal = (
        db.session.execute(select(Proposal).where(Proposal.meeting_id == meeting.id))
        .scalars()
        .first()
    )
    participant = (
        db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id))
        .scalars()
        .first()
    )
    ids = {"m": meeting.id, "p": proposal.id, "q": participant.id}
    refused("UPDATE proposals SET accepted = NOT accepted WHERE id = :p", **ids)
    refused("UPDATE proposals SET votes_yes = 99 WHERE meeting_id = :m", **ids)
    refused("DELETE FROM proposals WHERE id = :p", **ids)
    refused("UPDATE participants SET present = false WHERE id = :q", **ids)
    refused("DELETE FROM participants WHERE id = :q", **ids)
    refused(
        "INSERT INTO participants (meeting_id, name, unsur, votes, walk_in, present) "
        "VALUES (:m, 'Penyusup', 'lainnya', true, true, true)",
        **ids,
    )
    refused(
        "INSERT INTO votes (proposal_id, participant_id, choice, created_at, updated_at) "
        "VALUES (:p, :q, 'setuju', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        **ids,
    )
    refused("UPDATE meetings SET place = 'Di tempat lain' WHERE id = :m", **ids)
    refused("UPDATE meetings SET state = 'decided' WHERE id = :m", **ids)
    refused("DELETE FROM meetings WHERE id = :m", **ids)
    refused("UPDATE berita_acara SET sha256 = :h WHERE meeting_id = :m", h="0" * 64, m=meeting.id)
    refused("UPDATE berita_acara SET pdf = :b WHERE meeting_id = :m", b=b"%PDF-", m=meeting.id)
    refused("DELETE FROM berita_acara WHERE meeting_id = :m", m=meeting.id)


def test_the_camat_may_still_move_a_locked_meeting_on(locked):
    """confirm/return change the state only, which the sealing triggers allow (a confirmation
    needs its review row: migration 0010; see tests/security/test_db_shortcuts.py)."""
    meeting, _ba = locked
    db.session.execute(
        text(
            "INSERT INTO meeting_reviews (meeting_id, outcome, created_at, pdf, pdf_sha256) "
            "VALUES (:m, 'confirmed', CURRENT_TIMESTAMP, :pdf, :h)"
        ),
        {"m": meeting.id, "pdf": b"%PDF-", "h": "b" * 64},
    )
    db.session.execute(
        text("UPDATE meetings SET state = 'confirmed' WHERE id = :m"), {"m": meeting.id}
    )
    db.session.commit()
    refused("UPDATE meetings SET state = 'returned' WHERE id = :m", m=meeting.id)
    refused("UPDATE proposals SET note = 'x' WHERE meeting_id = :m", m=meeting.id)


def test_a_scan_may_still_be_added_to_a_locked_berita_acara(locked):
    meeting, _ba = locked
    db.session.execute(
        text("UPDATE berita_acara SET scan_sha256 = :h WHERE meeting_id = :m"),
        {"h": "a" * 64, "m": meeting.id},
    )
    db.session.commit()
    assert db.session.execute(select(BeritaAcara.scan_sha256)).scalar() == "a" * 64


def test_other_meetings_are_not_affected(locked, sekretaris, register):
    from tests.berita_acara.conftest import build_decided  # noqa: F401

    meeting, _ba = locked
    other = Meeting(
        village_code=meeting.village_code,
        number="002",
        meeting_date=meeting.meeting_date,
        place="Balai",
        chair_name="A",
        notulen_name="B",
        period="2026-12",
    )
    db.session.add(other)
    db.session.flush()
    db.session.add(Participant(meeting_id=other.id, name="Bisa", unsur="lainnya"))
    db.session.commit()


def _mutating_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and "meeting_id" in rule.arguments:
            yield rule


def _url(rule, ids: dict[str, int]) -> str:
    from flask import url_for

    return url_for(rule.endpoint, **{name: ids.get(name, 1) for name in rule.arguments})


@pytest.mark.parametrize("htmx", [False, True])
def test_every_mutating_route_answers_409_and_writes_nothing(
    app, client, auth, locked, sekretaris, register, htmx
):
    meeting, _ba = locked
    auth.login_as(sekretaris)
    proposal = (
        db.session.execute(select(Proposal).where(Proposal.meeting_id == meeting.id))
        .scalars()
        .first()
    )
    participant = (
        db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id))
        .scalars()
        .first()
    )
    ids = {
        "meeting_id": meeting.id,
        "proposal_id": proposal.id,
        "participant_id": participant.id,
        "household_id": register[5].id,
    }
    rules = list(_mutating_routes(app))
    assert len(rules) >= 20
    # Their own refusals (below), and the after-meeting areas, whose POSTs act on a sealed
    # meeting by design and change none of its rows: the camat's review, the addendum, the
    # operator's entry marks (tests/review, tests/entry).
    # The families search posts (no NIK in the URL) but only reads: not a change to refuse.
    exempt = {"berita_acara.request_lock", "berita_acara.scan", "meetings.families"}
    after_meeting = ("review.", "entry.")
    before = counts()
    headers = {"HX-Request": "true"} if htmx else {}
    for rule in rules:
        if rule.endpoint in exempt or rule.endpoint.startswith(after_meeting):
            continue
        with app.test_request_context():
            url = _url(rule, ids)
        response = client.post(url, data={"present": "1", "choice": "setuju"}, headers=headers)
        assert response.status_code == 409, (rule.rule, response.status_code)
        if htmx:
            assert response.headers["HX-Redirect"] == f"/musyawarah/{meeting.id}"
        else:
            assert "sudah dikunci" in response.get_data(as_text=True)
    db.session.expire_all()
    assert counts() == before
    assert db.session.get(Meeting, meeting.id).state == "locked"
    # Generate-and-lock again: refused with a message, nothing written.
    response = client.post(f"/musyawarah/{meeting.id}/berita-acara", follow_redirects=True)
    assert "sudah dibuat dan dikunci" in response.get_data(as_text=True)
    assert counts() == before
