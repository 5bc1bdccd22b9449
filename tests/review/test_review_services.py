"""The camat's review, service level: confirm (second signature, register update), return."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal.audit import AuditEntry
from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara import signing
from portal.blueprints.meetings.models import Meeting, MeetingMove
from portal.blueprints.register.models import Household, HouseholdEvent, Person
from portal.blueprints.review import services as review
from portal.blueprints.review.models import MeetingReview
from portal.extensions import db
from portal.refusal import Refused
from tests.review.conftest import EXPECTED, KK_NEW, NIK_NEW_CHILD, NIK_NEW_HEAD


def household(kk: str) -> Household:
    return db.session.execute(select(Household).where(Household.kk == kk)).scalar_one()


def test_confirm_countersigns_the_berita_acara(locked, users) -> None:
    meeting, ba = locked
    result = review.confirm(meeting, user=users["camat"], note="Hadir sebagai pengamat.")
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(Meeting, meeting.id).state == "confirmed"
    stored = db.session.get(MeetingReview, result.id)
    assert stored.outcome == "confirmed" and stored.user_id == users["camat"].id
    assert stored.note == "Hadir sebagai pengamat."
    assert stored.entry_total == EXPECTED["entry_total"]
    # The countersigned PDF extends the secretary's: same bytes first, then the new revision.
    original = db.session.get(type(ba), ba.id).pdf
    assert stored.pdf.startswith(original) and len(stored.pdf) > len(original)
    checked = signing.check_pdf(stored.pdf, signing.trusted_certificates())
    assert [s.field for s in checked.signatures] == ["PortalMusyawarah", "KonfirmasiCamat"]
    assert all(s.ok for s in checked.signatures)
    assert not checked.unsigned_tail
    # The public verification accepts the countersigned file as this meeting's berita acara.
    verdict = ba_services.check_file(stored.pdf, db.session.get(type(ba), ba.id))
    assert verdict.genuine, verdict.reasons
    move = db.session.execute(
        select(MeetingMove).where(
            MeetingMove.meeting_id == meeting.id, MeetingMove.move == "confirm"
        )
    ).scalar_one()
    assert move.user_id == users["camat"].id and move.to_state == "confirmed"
    actions = set(db.session.execute(select(AuditEntry.action)).scalars())
    assert {"meeting.confirm", "review.confirmed"} <= actions


def test_a_changed_countersigned_pdf_is_refused(confirmed) -> None:
    meeting, stored = confirmed
    data = bytearray(stored.pdf)
    spot = data.index(b"/Producer") if b"/Producer" in data else len(data) // 3
    data[spot + 2] ^= 1
    verdict = ba_services.check_file(bytes(data), ba_services.of_meeting(meeting.id))
    assert not verdict.genuine


def test_confirm_moves_the_register_forward(locked, users, register: list[Any]) -> None:
    meeting, _ = locked
    dead, rich, fixed, refused = (h.kk for h in register[:4])
    review.confirm(meeting, user=users["camat"])
    db.session.commit()
    db.session.expire_all()

    for kk, reason in ((dead, "meninggal"), (rich, "sudah_mampu")):
        gone = household(kk)
        assert gone.status == "removed" and gone.removed_reason == reason
        assert gone.removed_meeting_id == meeting.id and gone.removed_at is not None
    assert household(refused).status == "active"
    corrected = household(fixed)
    assert corrected.rt == "007"
    new = household(KK_NEW)
    assert new.status == "active" and new.village_code == meeting.village_code
    assert sorted(p.nik for p in new.members) == sorted([NIK_NEW_HEAD, NIK_NEW_CHILD])
    events = {
        (e.kind, e.household_id): e
        for e in db.session.execute(
            select(HouseholdEvent).where(HouseholdEvent.meeting_id == meeting.id)
        ).scalars()
    }
    assert {kind for kind, _ in events} == {"removed", "added", "corrected"}
    correction = events[("corrected", corrected.id)]
    assert correction.before["rt"] != "007" and correction.after["rt"] == "007"
    # The next meeting's prelist is the updated register.
    active = db.session.scalar(
        select(func.count())
        .select_from(Household)
        .where(Household.village_code == meeting.village_code, Household.status == "active")
    )
    assert active == EXPECTED["tetap"] + EXPECTED["perbaikan"] + EXPECTED["baru"]


def test_a_conflict_found_at_confirmation_changes_nothing(locked, users) -> None:
    meeting, _ = locked
    other = household_of_other_village()
    db.session.add(Person(household_id=other.id, nik=NIK_NEW_CHILD, name="Sudah Terdaftar"))
    db.session.commit()
    with pytest.raises(Refused) as refused:
        review.confirm(meeting, user=users["camat"])
    db.session.rollback()
    assert "adendum" in refused.value.message
    assert db.session.get(Meeting, meeting.id).state == "locked"
    assert db.session.scalar(select(func.count()).select_from(MeetingReview)) == 0
    assert db.session.execute(select(Household).where(Household.kk == KK_NEW)).first() is None


def household_of_other_village() -> Household:
    return db.session.execute(
        select(Household).where(Household.village_code != "1706052006").limit(1)
    ).scalar_one()


def test_return_needs_a_note_and_reaches_returned(locked, users) -> None:
    meeting, _ = locked
    with pytest.raises(Refused) as refused:
        review.return_meeting(meeting, user=users["camat"], note="   ")
    assert refused.value.field == "note"
    db.session.rollback()
    result = review.return_meeting(meeting, user=users["camat"], note="Foto tidak ada.")
    db.session.commit()
    assert db.session.get(Meeting, meeting.id).state == "returned"
    assert result.pdf is None and result.note == "Foto tidak ada."
    # The register did not move.
    assert db.session.execute(select(Household).where(Household.kk == KK_NEW)).first() is None


@pytest.mark.parametrize("role", ["sekretaris", "operator", "admin"])
def test_only_the_camat_confirms_or_returns(locked, users, role: str) -> None:
    meeting, _ = locked
    with pytest.raises(Refused):
        review.confirm(meeting, user=users[role])
    db.session.rollback()
    with pytest.raises(Refused):
        review.return_meeting(meeting, user=users[role], note="Tidak sah.")
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).state == "locked"
    assert db.session.scalar(select(func.count()).select_from(MeetingReview)) == 0


def test_reviewed_once(confirmed, users) -> None:
    meeting, _ = confirmed
    with pytest.raises(Refused):
        review.return_meeting(meeting, user=users["camat"], note="Terlambat.")
    db.session.rollback()
    with pytest.raises(Refused):
        review.confirm(meeting, user=users["camat"])


def test_the_database_refuses_to_change_a_review(confirmed) -> None:
    _, stored = confirmed
    with pytest.raises(DBAPIError):
        db.session.execute(
            text("UPDATE meeting_reviews SET note = 'diubah' WHERE id = :id"), {"id": stored.id}
        )
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(text("DELETE FROM meeting_reviews WHERE id = :id"), {"id": stored.id})
    db.session.rollback()
