"""Issue 16, item 6: `flask ba verify` fails whenever the database disagrees with the signed list.

The disagreement is made as an attacker with database access would: the sealing triggers of the
per-test SQLite copy dropped (migration 0004 names them), then a row changed. On PostgreSQL the
triggers are shared by the whole test database, so these run on SQLite only; the checks that
need no dropped trigger run on both.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select, text

from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.meetings.models import Meeting, Proposal
from portal.blueprints.register.models import Household
from portal.extensions import db
from tests.review.conftest import confirm

sqlite_only = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="drops the sealing triggers: only in the per-test SQLite copy",
)


def _verify(runner, ba: BeritaAcara, tmp_path: Path, pdf: bytes | None = None):
    path = tmp_path / "ba.pdf"
    path.write_bytes(pdf if pdf is not None else ba.pdf)
    db.session.expire_all()
    return runner.invoke(args=["ba", "verify", str(path)])


def _drop_triggers(*names: str) -> None:
    for name in names:
        db.session.execute(text(f"DROP TRIGGER {name}"))
    db.session.commit()


def _proposal(meeting: Meeting, kind: str, accepted: bool = True) -> Proposal:
    return (
        db.session.execute(
            select(Proposal).where(
                Proposal.meeting_id == meeting.id,
                Proposal.kind == kind,
                Proposal.accepted.is_(accepted),
            )
        )
        .scalars()
        .first()
    )


def _confirmed(locked, users) -> tuple[Meeting, BeritaAcara]:
    meeting, ba = locked
    review = confirm(meeting, users["camat"])
    db.session.expire_all()
    return db.session.get(Meeting, meeting.id), ba, review.pdf


def test_a_genuine_locked_berita_acara_passes(runner, locked, tmp_path):
    _meeting, ba = locked
    result = _verify(runner, ba, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Hash dihitung ulang dari data musyawarah: OK" in result.output
    assert "HASIL: ASLI" in result.output


@sqlite_only
def test_a_decision_changed_in_the_database_fails(runner, locked, tmp_path):
    meeting, ba = locked
    removal = _proposal(meeting, "keluar")
    _drop_triggers("proposals_sealed_update", "proposals_sealed_update_new")
    db.session.execute(text("UPDATE proposals SET accepted = 0 WHERE id = :id"), {"id": removal.id})
    db.session.commit()
    result = _verify(runner, ba, tmp_path)
    assert "Hash dihitung ulang dari data musyawarah: GAGAL" in result.output
    assert "HASIL: TIDAK ASLI" in result.output
    assert "HASIL: ASLI" not in result.output
    assert result.exit_code == 1


def test_a_confirmed_meeting_whose_register_agrees_passes(runner, locked, users, tmp_path):
    _meeting, ba, countersigned = _confirmed(locked, users)
    for pdf in (ba.pdf, countersigned):
        result = _verify(runner, ba, tmp_path, pdf)
        assert result.exit_code == 0, result.output
        assert "Register sesuai dengan keputusan yang dikonfirmasi: OK" in result.output
        assert "HASIL: ASLI" in result.output


@sqlite_only
def test_a_removed_family_active_again_in_the_register_fails(runner, locked, users, tmp_path):
    meeting, ba, countersigned = _confirmed(locked, users)
    removed = (
        db.session.execute(select(Household).where(Household.removed_meeting_id == meeting.id))
        .scalars()
        .first()
    )
    assert removed is not None and removed.status == "removed"
    # The register has no sealing trigger: a plain UPDATE suffices (why the check exists).
    db.session.execute(
        text(
            "UPDATE households SET status = 'active', removed_reason = NULL, "
            "removed_at = NULL, removed_meeting_id = NULL WHERE id = :id"
        ),
        {"id": removed.id},
    )
    db.session.commit()
    result = _verify(runner, ba, tmp_path, countersigned)
    assert "Register sesuai dengan keputusan yang dikonfirmasi: GAGAL" in result.output
    assert f"KK {removed.kk} dikeluarkan oleh musyawarah ini" in result.output
    assert "HASIL: TIDAK ASLI" in result.output
    assert result.exit_code == 1


@sqlite_only
def test_a_corrected_family_reverted_in_the_register_fails(runner, locked, users, tmp_path):
    meeting, ba, _countersigned = _confirmed(locked, users)
    corrected = db.session.get(Household, _proposal(meeting, "perbaikan").household_id)
    assert corrected.rt == "007"
    db.session.execute(
        text("UPDATE households SET rt = '001' WHERE id = :id"), {"id": corrected.id}
    )
    db.session.commit()
    result = _verify(runner, ba, tmp_path)
    assert f"Data KK {corrected.kk} di register tidak sesuai" in result.output
    assert "(rt)" in result.output
    assert "HASIL: TIDAK ASLI" in result.output
    assert result.exit_code == 1


@sqlite_only
def test_a_stored_list_changed_in_the_database_fails(runner, locked, tmp_path):
    _meeting, ba = locked
    _drop_triggers("berita_acara_done_update")
    db.session.execute(
        text("UPDATE berita_acara SET canonical = :data WHERE id = :id"),
        {"data": ba.canonical.replace(b'"keluar"', b'"keluar" ', 1), "id": ba.id},
    )
    db.session.commit()
    result = _verify(runner, ba, tmp_path)
    assert "Hash tersimpan dihitung ulang dari daftar tersimpan: GAGAL" in result.output
    assert "HASIL: TIDAK ASLI" in result.output
    assert result.exit_code == 1
