"""The audit trail's hash chain: every commit links its entries; `flask audit verify` finds a
deleted, inserted, altered or cut-off entry; the database refuses changes to chained entries."""

from __future__ import annotations

import itertools
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from portal import audit
from portal.audit import AuditEntry
from portal.audit_chain import GENESIS, verify
from portal.blueprints.audit.cli import audit_cli
from portal.extensions import db
from tests.conftest import PG_URL
from tests.factories import make_user


def _write_entries(n: int, region: str = "1706052006") -> None:
    for i in range(n):
        audit.record(
            "meeting.check_in",
            object_type="meeting",
            object_id=i,
            region_code=region,
            details={"peserta": i, "nama": "Siti Aminah", "changes": {"rt": ["001", "002"]}},
        )
        db.session.commit()


def _chain() -> list[AuditEntry]:
    db.session.expire_all()
    return db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()


def _unguard() -> None:
    """What an attacker with the database owner's rights would do first."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("DROP TRIGGER audit_entries_no_update"))
        db.session.execute(sa.text("DROP TRIGGER audit_entries_no_delete"))
    else:
        db.session.execute(
            sa.text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_written_once")
        )
    db.session.commit()


def test_every_commit_links_its_entries(app, regions):
    make_user("admin", "1706")
    _write_entries(3)
    # Two entries in one transaction, one transaction rolled back in between.
    audit.record("meeting.vote", region_code="1706052006")
    db.session.rollback()
    audit.record("meeting.a", region_code="1706052006")
    audit.record("meeting.b", region_code="1706052006")
    db.session.commit()
    chain = _chain()
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.entry_hash
    assert [e.action for e in chain[-2:]] == ["meeting.a", "meeting.b"]
    assert "meeting.vote" not in {e.action for e in chain}
    report = verify(db.session)
    assert report.ok, report.problems
    assert report.count == len(chain)
    assert report.head == f"{chain[-1].seq}:{chain[-1].entry_hash}"


def test_database_refuses_to_change_or_delete_a_chained_entry(app, regions):
    _write_entries(2)
    count = len(_chain())
    entry_id = _chain()[0].id
    with pytest.raises(DatabaseError):
        db.session.execute(
            sa.update(AuditEntry).where(AuditEntry.id == entry_id).values(action="x")
        )
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == entry_id))
        db.session.flush()
    db.session.rollback()
    assert len(_chain()) == count and verify(db.session).ok


def test_altered_entry_is_detected(app, regions, runner):
    _write_entries(4)
    target = _chain()[1]
    _unguard()
    db.session.execute(
        sa.update(AuditEntry).where(AuditEntry.id == target.id).values(details={"peserta": 99})
    )
    db.session.commit()
    report = verify(db.session)
    assert not report.ok
    assert any(f"seq {target.seq} " in p and "diubah" in p for p in report.problems)
    result = runner.invoke(audit_cli, ["verify"])
    assert result.exit_code == 1
    assert "RUSAK" in result.output and "diubah" in result.output


def test_deleted_entry_is_detected(app, regions):
    _write_entries(5)
    gone = _chain()[2]
    _unguard()
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == gone.id))
    db.session.commit()
    problems = verify(db.session).problems
    assert any("hilang" in p and f"seq {gone.seq}" in p for p in problems), problems
    assert any("putus" in p for p in problems)


def test_inserted_entries_are_detected(app, regions):
    _write_entries(3)
    # Inserted behind the portal's back: without a place in the chain …
    db.session.execute(
        sa.insert(AuditEntry).values(action="meeting.vote", region_code="1706052006")
    )
    db.session.commit()
    problems = verify(db.session).problems
    assert any("di luar rantai" in p for p in problems), problems


def test_forged_entry_inside_the_chain_is_detected(app, regions):
    """… or squeezed in with a made-up link: renumbering the rest would need every later hash."""
    _write_entries(3)
    chain = _chain()
    _unguard()
    # Make room after seq 1 by moving the later entries up, as a careful forger would.
    for entry in reversed(chain[1:]):
        db.session.execute(
            sa.update(AuditEntry).where(AuditEntry.id == entry.id).values(seq=entry.seq + 1)
        )
    db.session.execute(
        sa.insert(AuditEntry).values(
            action="meeting.vote", seq=2, prev_hash=chain[0].entry_hash, entry_hash="f" * 64
        )
    )
    db.session.commit()
    problems = verify(db.session).problems
    assert any("seq 2 " in p and "diubah" in p for p in problems), problems
    assert any("seq 3 " in p and "putus" in p for p in problems), problems


def test_cut_off_tail_is_detected_against_a_noted_head(app, regions, runner):
    _write_entries(3)
    noted = verify(db.session).head
    result = runner.invoke(audit_cli, ["verify", "--expect-head", noted])
    assert result.exit_code == 0, result.output
    count = len(_chain())
    assert f"utuh: {count} entri" in result.output and noted in result.output
    _unguard()
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.seq == count))
    db.session.commit()
    assert verify(db.session).ok  # the chain alone cannot see a cut-off tail …
    result = runner.invoke(audit_cli, ["verify", "--expect-head", noted])
    assert result.exit_code == 1  # … the noted head can
    assert "dipotong" in result.output


def test_users_actions_through_the_portal_are_chained(app, regions, client, auth):
    admin = make_user("admin", "1706")
    auth.login_as(admin)
    response = client.post(
        "/admin/pengguna/baru",
        data={
            "username": "sekdes9",
            "full_name": "Sekdes Sembilan",
            "role": "sekretaris",
            "region_code": "1706052006",
        },
    )
    assert response.status_code in (200, 302)
    actions = [e.action for e in _chain()]
    assert "auth.login" in actions and "user.create" in actions
    assert verify(db.session).ok


@pytest.mark.skipif(not PG_URL, reason="concurrent writers: PostgreSQL")
def test_concurrent_writers_build_one_chain(app, regions):
    """Eight threads committing at once: one chain, no gap, no fork."""
    before = len(_chain())
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                for i in range(10):
                    audit.record("meeting.check_in", object_id=f"{n}-{i}", region_code="1706052006")
                    db.session.commit()
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    report = verify(db.session)
    assert report.ok, report.problems
    assert report.count == before + 80
