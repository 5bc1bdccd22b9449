"""Fixtures of the meeting tests: users of every role, a village register, meetings in any state.

Service layer only: the tests call `services` directly, commit where a request would end, and
read back what the database holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.blueprints.meetings import services, states
from portal.blueprints.meetings.models import Meeting, MeetingMove, Participant, Proposal, Vote
from portal.blueprints.register.models import ACTIVE, Household
from portal.blueprints.users.models import User
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import DESA_AIR_BULUH, DESA_PASAR_IPUH, KAB_MUKOMUKO, KEC_IPUH, make_user
from tests.register.conftest import csv_bytes, seed_register, village_of

FAMILIES = 8
#: The factories' meeting date; the tests run on it (09:00 WIB), so that opening a meeting is on
#: its scheduled day unless a test travels elsewhere.
MEETING_DAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def on_meeting_day():
    with time_machine.travel(datetime(2026, 11, 20, 2, 0, tzinfo=UTC), tick=True) as traveller:
        yield traveller


@pytest.fixture
def sekretaris(regions: None) -> User:
    return make_user("sekretaris", DESA_PASAR_IPUH)


@pytest.fixture
def users(regions: None, sekretaris: User) -> dict[str, User]:
    """One user of each role, all with Pasar Ipuh in scope."""
    return {
        "admin": make_user("admin", KAB_MUKOMUKO),
        "sekretaris": sekretaris,
        "camat": make_user("camat", KEC_IPUH),
        "operator": make_user("operator", DESA_PASAR_IPUH),
    }


@pytest.fixture
def register(regions: None) -> list[Household]:
    """Pasar Ipuh's register (FAMILIES synthetic families) and a few families of Air Buluh."""
    rows, _ = synthetic.generate(
        [village_of(DESA_PASAR_IPUH)], families_per_village=FAMILIES, seed=11
    )
    seed_register(csv_bytes(rows), DESA_PASAR_IPUH)
    rows, _ = synthetic.generate([village_of(DESA_AIR_BULUH)], families_per_village=2, seed=12)
    seed_register(csv_bytes(rows), DESA_AIR_BULUH)
    return families(DESA_PASAR_IPUH)


def families(village_code: str) -> list[Household]:
    return list(
        db.session.execute(
            select(Household)
            .where(Household.village_code == village_code, Household.status == ACTIVE)
            .order_by(Household.kk)
        ).scalars()
    )


def meeting_data(**overrides: Any) -> services.MeetingData:
    values: dict[str, Any] = {
        "number": "001/MUSDES/XI/2026",
        "meeting_date": date(2026, 11, 20),
        "start_time": time(9, 0),
        "place": "Balai Desa Pasar Ipuh",
        "agenda": "Pemutakhiran DTSEN",
        "chair_name": "Kepala Desa",
        "notulen_name": "Sekretaris Desa",
        "period": "2026-11",
    }
    values.update(overrides)
    return services.MeetingData(**values)


MakeMeeting = Callable[..., Meeting]


def put_in_state(meeting: Meeting, state: str) -> None:
    """Set a meeting's state directly, for the tests of what each state allows. The database
    holds a confirmed meeting only with the camat's review that confirms it (migration 0010):
    a stand-in review is written first, as the camat's confirmation writes the real one."""
    from portal.blueprints.review.models import CONFIRMED, MeetingReview

    if state == states.CONFIRMED:
        exists = db.session.execute(
            select(MeetingReview.id).where(MeetingReview.meeting_id == meeting.id)
        ).first()
        if exists is None:
            db.session.add(
                MeetingReview(
                    meeting_id=meeting.id, outcome=CONFIRMED, pdf=b"%PDF-", pdf_sha256="0" * 64
                )
            )
            db.session.flush()
    meeting.state = state


@pytest.fixture
def make_meeting(sekretaris: User) -> MakeMeeting:
    """A meeting created by the service, then put into `state` directly (and committed). Each
    gets its own berita acara number (001/…, 002/…): a number is used once per village and year."""
    made = [0]

    def make(
        state: str = states.DRAFT,
        *,
        village: str = DESA_PASAR_IPUH,
        voters: int = 0,
        meeting_date: date = date(2026, 11, 20),
        period: str = "2026-11",
    ) -> Meeting:
        made[0] += 1
        data = meeting_data(
            meeting_date=meeting_date, number=f"{made[0]:03d}/MUSDES/XI/2026", period=period
        )
        meeting = services.create_meeting(village, data, user=sekretaris)
        for i in range(voters):
            invite(meeting, f"Peserta {i + 1}", user=sekretaris)
        put_in_state(meeting, state)
        db.session.commit()
        return meeting

    return make


def invite(
    meeting: Meeting,
    name: str,
    *,
    user: User,
    unsur: str = "tokoh_masyarakat",
    votes: bool = True,
    nik: str | None = None,
    walk_in: bool = False,
) -> Participant:
    """An invitee (or a walk-in). Invitations close when the session opens, so an invitee of a
    meeting already in session is added as if invited before it opened."""
    reopen = not walk_in and meeting.state == states.IN_SESSION
    if reopen:
        meeting.state = states.SCHEDULED
    try:
        return services.add_participant(
            meeting,
            services.ParticipantData(name=name, unsur=unsur, votes=votes, nik=nik),
            user=user,
            walk_in=walk_in,
        )
    finally:
        if reopen:
            meeting.state = states.IN_SESSION


def count(model: Any, *where: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def audit_count(action: str, **details: Any) -> int:
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars()
    return sum(
        1
        for entry in entries
        if all((entry.details or {}).get(key) == value for key, value in details.items())
    )


def moves_of(meeting: Meeting) -> list[MeetingMove]:
    return list(
        db.session.execute(
            select(MeetingMove).where(MeetingMove.meeting_id == meeting.id).order_by(MeetingMove.id)
        ).scalars()
    )


def reload(obj: Any) -> Any:
    """The row as the database holds it now."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def all_counts() -> dict[str, int]:
    return {
        model.__tablename__: count(model)
        for model in (Meeting, MeetingMove, Participant, Proposal, Vote, AuditEntry)
    }


def everyone_present(*meetings: Meeting) -> None:
    """Mark every participant present (the quorum holds), for tests about moves, not attendance."""
    for meeting in meetings:
        for participant in meeting.participants:
            participant.present = True
    db.session.commit()
