"""Generating the berita acara locks the meeting: the signed PDF stored, the hash recomputable,
a failure leaving the meeting decided."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import select, text

from portal.blueprints.berita_acara import canonical, signing
from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara import tasks as ba_tasks
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.berita_acara.rendering import pipeline
from portal.blueprints.berita_acara.rendering.embedded import read_embedded
from portal.blueprints.meetings import services, states
from portal.blueprints.meetings.models import MeetingMove
from portal.extensions import db
from portal.refusal import Refused
from tests.berita_acara.conftest import KK_NEW, lock

# The `locked` fixture's real PDF (tests/factories.py): its text and page count are read.
pytestmark = pytest.mark.real_pdf


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_lock_stores_the_signed_pdf_and_locks_the_meeting(locked, sekretaris):
    meeting, ba = locked
    assert meeting.state == states.LOCKED
    move = db.session.execute(
        select(MeetingMove).where(MeetingMove.meeting_id == meeting.id, MeetingMove.move == "lock")
    ).scalar_one()
    assert (move.from_state, move.to_state, move.user_id) == ("decided", "locked", sekretaris.id)
    assert ba.status == "done" and ba.progress == 100 and ba.error is None
    assert ba.pdf.startswith(b"%PDF-")
    assert ba.pdf_sha256 == canonical.sha256_hex(ba.pdf)
    assert ba.pages >= 3


def test_the_pdf_names_every_decided_family_and_prints_the_hash(locked):
    _meeting, ba = locked
    decided = json.loads(ba.canonical)
    content = pdf_text(ba.pdf)
    flat = " ".join(content.split())
    families = [row for rows in decided["families"].values() for row in rows]
    assert len(families) == 8 + 1  # the 8 of the register (removed ones listed as keluar) + 1 new
    for row in families:
        assert row["kk"] in flat, row
        if row["head_name"]:
            assert row["head_name"] in flat, row
    assert KK_NEW in flat
    assert ba.sha256 in flat.replace(" ", "") or ba.sha256 in content.replace("\n", "")
    assert "BERITA ACARA" in content


def test_the_hash_recomputes_from_the_database(locked):
    meeting, ba = locked
    assert canonical.sha256_hex(ba.canonical) == ba.sha256
    # Canonical form: re-serialising the stored list gives the same bytes.
    assert canonical.canonical_bytes(json.loads(ba.canonical)) == ba.canonical
    # And the meeting's rows give the same list again.
    data, digest = ba_services.decided_document(meeting)
    assert digest == ba.sha256 and data == ba.canonical
    decided = json.loads(ba.canonical)
    assert decided["counts"] == {
        "families": 8,
        "tetap": 5,
        "keluar": 2,
        "keluar_by_reason": {"meninggal": 1, "sudah_mampu": 1},
        "baru": 1,
        "perbaikan": 1,
        "rejected": 1,
    }
    assert [row["kk"] for row in decided["families"]["tetap"]] == sorted(
        row["kk"] for row in decided["families"]["tetap"]
    )


def test_pyhanko_validates_the_signature(locked):
    _meeting, ba = locked
    checked = signing.check_pdf(ba.pdf, signing.trusted_certificates())
    (signature,) = checked.signatures
    assert signature.intact and signature.valid and signature.trusted
    assert signature.covers_whole_file
    assert signature.fingerprint == ba.signer_fingerprint


def test_the_pdf_carries_the_canonical_list(locked):
    _meeting, ba = locked
    embedded, info = read_embedded(ba.pdf)
    assert embedded == ba.canonical
    assert info.get("PortalSha256") == ba.sha256


def test_a_failed_render_leaves_the_meeting_decided_and_says_why(decided, sekretaris, monkeypatch):
    def broken(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(pipeline, "render_ba_pdf", broken)
    ba = lock(decided, sekretaris, real_pdf=True)
    assert ba.status == "failed"
    assert "MemoryError" in ba.error
    db.session.expire_all()
    assert db.session.get(type(decided), decided.id).state == states.DECIDED
    assert ba.pdf is None and ba.sha256 is None
    # The secretary tries again, and it works.
    monkeypatch.undo()
    again = lock(db.session.get(type(decided), decided.id), sekretaris, real_pdf=True)
    assert again.id == ba.id and again.status == "done"


def test_a_meeting_reopened_during_the_render_is_not_locked(decided, sekretaris, monkeypatch):
    real = pipeline.render_ba_pdf

    def reopening(*args, **kwargs):
        db.session.execute(
            text("UPDATE meetings SET state = 'in_session' WHERE id = :id"), {"id": decided.id}
        )
        db.session.commit()
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "render_ba_pdf", reopening)
    ba = lock(decided, sekretaris, real_pdf=True)
    assert ba.status == "failed"
    assert "tidak lagi berstatus diputuskan" in ba.error
    assert db.session.get(type(decided), decided.id).state == states.IN_SESSION


def test_lock_is_asked_only_for_a_decided_meeting_by_its_secretary(decided, users):
    for role in ("admin", "camat", "operator"):
        with pytest.raises(Refused):
            ba_services.request_lock(decided, user=users[role])
        db.session.rollback()
    decided.state = states.IN_SESSION
    db.session.commit()
    with pytest.raises(Refused):
        ba_services.request_lock(decided, user=users["sekretaris"])
    db.session.rollback()
    assert db.session.execute(select(BeritaAcara)).first() is None


def test_a_locked_meeting_is_not_locked_twice(locked, sekretaris):
    meeting, _ba = locked
    with pytest.raises(Refused):
        ba_services.request_lock(meeting, user=sekretaris)


def test_reopen_is_refused_while_the_berita_acara_is_being_made(decided, sekretaris):
    ba_services.request_lock(decided, user=sekretaris)
    db.session.commit()
    with pytest.raises(Refused) as refused:
        services.move(decided, "reopen", user=sekretaris)
    assert "sedang dibuat" in refused.value.message


def test_a_superseded_job_does_not_lock(decided, sekretaris, app):
    """A stalled request asked again: the first job, if it ever wakes, leaves it to the second."""
    first = ba_services.request_lock(decided, user=sekretaris)
    db.session.commit()
    first.status = "running"
    first.started_at = first.requested_at.replace(year=2000)
    db.session.commit()
    assert first.stalled
    again = ba_services.request_lock(decided, user=sekretaris)
    db.session.commit()
    assert again.id == first.id and again.attempt == 2 and again.status == "queued"
    ba_tasks.generate(again.id)
    db.session.expire_all()
    assert db.session.get(BeritaAcara, again.id).status == "done"


def test_signing_works_inside_a_running_event_loop(locked):
    """pyHanko calls asyncio.run: a caller already inside a loop (a test harness such as
    Playwright's, an async server) must still get its signature checked and made."""
    import asyncio

    _meeting, ba = locked

    async def inside():
        return signing.check_pdf(ba.pdf, signing.trusted_certificates())

    (signature,) = asyncio.run(inside()).signatures
    assert signature.intact and signature.valid and signature.trusted
