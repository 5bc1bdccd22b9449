"""Who is told what: exactly the users of the role whose scope covers the meeting's village."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from portal.blueprints.notifications import services as notifications
from portal.blueprints.notifications import wording
from portal.blueprints.notifications.models import KINDS, Notification
from portal.blueprints.review import services as review
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH, KEC_IPUH, make_user


def told(kind: str) -> set[int]:
    return set(
        db.session.execute(select(Notification.user_id).where(Notification.kind == kind)).scalars()
    )


def test_the_lock_tells_the_active_camat_of_the_kecamatan_only(locked, users) -> None:
    meeting, _ = locked
    assert told("ba_locked") == {users["camat"].id}
    assert told("meeting_confirmed") == told("meeting_returned") == set()
    row = db.session.execute(select(Notification)).scalar_one()
    assert row.meeting_id == meeting.id and row.read_at is None and row.emailed_at is None
    assert row.params["number"] == meeting.number and row.params["village"] == "Pasar Ipuh"


def test_inactive_users_and_other_roles_are_not_told(locked, users) -> None:
    meeting, _ = locked
    retired = make_user("camat", KEC_IPUH, active=False)
    second = make_user("camat", KEC_IPUH)
    made = notifications.notify_ba_locked(meeting)
    db.session.commit()
    assert {n.user_id for n in made} == {users["camat"].id, second.id}
    assert retired.id not in told("ba_locked")
    assert users["admin"].id not in told("ba_locked")


def test_confirmation_tells_the_operators_of_the_village_and_kecamatan(locked, users) -> None:
    meeting, _ = locked
    make_user("operator", DESA_PASAR_IPUH, active=False)
    review.confirm(meeting, user=users["camat"])
    db.session.commit()
    assert told("meeting_confirmed") == {users["operator"].id, users["operator_kecamatan"].id}
    assert users["other_operator"].id not in told("meeting_confirmed")
    assert told("meeting_returned") == set()


def test_return_tells_the_village_secretary_with_the_note(locked, users) -> None:
    meeting, _ = locked
    review.return_meeting(meeting, user=users["camat"], note="Foto kegiatan tidak ada.")
    db.session.commit()
    assert told("meeting_returned") == {users["sekretaris"].id}
    assert users["other_sekretaris"].id not in told("meeting_returned")
    row = db.session.execute(
        select(Notification).where(Notification.kind == "meeting_returned")
    ).scalar_one()
    assert row.params["note"] == "Foto kegiatan tidak ada."
    assert "Foto kegiatan tidak ada." in wording.message(row)


def test_no_nik_or_kk_in_the_stored_params(confirmed) -> None:
    for row in db.session.execute(select(Notification)).scalars():
        assert not re.search(r"\d{16}", json.dumps(row.params))


def test_every_kind_has_its_own_text(locked) -> None:
    meeting, _ = locked
    texts = {
        wording.message(
            Notification(kind=kind, params={"number": meeting.number, "village": "Pasar Ipuh"})
        )
        for kind in KINDS
    }
    assert len(texts) == len(KINDS)
    assert all(meeting.number in text and "Pasar Ipuh" in text for text in texts)


def test_nothing_is_written_before_the_caller_commits(locked, users) -> None:
    meeting, _ = locked
    notifications.notify_meeting_confirmed(meeting)
    db.session.rollback()
    assert told("meeting_confirmed") == set()
