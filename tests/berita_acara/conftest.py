"""Fixtures of the berita acara tests: a decided meeting with every kind of decision."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara import tasks as ba_tasks
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.meetings import services
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.users.models import User
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH, cheap_pdf
from tests.meetings.conftest import (  # noqa: F401  (fixtures)
    invite,
    meeting_data,
    register,
    sekretaris,
    users,
)

KK_NEW = "1706052006260001"
NIK_NEW_HEAD = "1706050101900001"
NIK_NEW_CHILD = "1706054101150002"


def _removal(meeting: Meeting, household: Any, reason: str, user: User):
    return services.add_removal(
        meeting,
        household,
        reason=reason,
        reason_text=None,
        proposer="rt_rw",
        proposer_name="Ketua RT 001",
        note=None,
        user=user,
    )


#: When build_decided's meeting is opened: 09:00 WIB on its scheduled day (20 November 2026).
OPENED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def build_decided(
    user: User,
    households: list[Any],
    *,
    number: str = "005/BA-MD/XI/2026",
    opened: datetime = OPENED,
    decided: datetime | None = None,
    walk_ins: tuple[str, ...] = (),
    **data: Any,
):
    """Scheduled → in session → every kind of decision → decided, through the services. The
    clock stands at `opened` when the meeting opens and runs on from there (the decisions take
    seconds) unless `decided` sets the moment of the decision. `walk_ins` come in without an
    invitation (with a vote) once the meeting is open; `data` overrides meeting_data."""
    with time_machine.travel(opened, tick=True):
        meeting = _decide(user, households, number, walk_ins, data)
        if decided is None:
            services.move(meeting, "decide", user=user)
    if decided is not None:
        with time_machine.travel(decided, tick=False):
            services.move(meeting, "decide", user=user)
    db.session.commit()
    return meeting


def _decide(
    user: User, households: list[Any], number: str, walk_ins: tuple[str, ...], data: dict[str, Any]
) -> Meeting:
    village = households[0].village_code if households else DESA_PASAR_IPUH
    meeting = services.create_meeting(village, meeting_data(number=number, **data), user=user)
    invite(meeting, "Suharto", user=user, unsur="kepala_desa")
    invite(meeting, "Bu Ketua BPD", user=user, unsur="bpd_lpm")
    invite(meeting, "Pak Tokoh", user=user, unsur="tokoh_masyarakat")
    invite(meeting, "Pendamping PKH", user=user, unsur="pendamping_pkh", votes=False)
    services.move(meeting, "schedule", user=user)
    services.move(meeting, "open", user=user, confirm_other_day=True)
    for participant in list(meeting.participants):
        services.check_in(meeting, participant, user=user)
    for name in walk_ins:
        invite(meeting, name, user=user, walk_in=True)
    dead = _removal(meeting, households[0], "meninggal", user)
    services.decide_by_consensus(meeting, dead, user=user)
    if len(households) < 4:  # a small village: one decision is enough
        return meeting
    rich = _removal(meeting, households[1], "sudah_mampu", user)
    services.record_tally(meeting, rich, yes=2, no=1, abstain=0, user=user)
    fix = services.add_correction(
        meeting,
        households[2],
        changes={"rt": "7"},
        remove_members=[],
        proposer="warga",
        proposer_name=None,
        note=None,
        user=user,
    )
    services.decide_by_consensus(meeting, fix, user=user)
    new = services.add_new_family(
        meeting,
        kk=KK_NEW,
        alamat="Jl. Baru No. 1",
        rt="003",
        rw="001",
        members=[
            {"nik": NIK_NEW_HEAD, "name": "Andi Baru", "relation": "kepala keluarga"},
            {"nik": NIK_NEW_CHILD, "name": "Sari Baru", "relation": "anak"},
        ],
        proposer="pendamping",
        proposer_name=None,
        note=None,
        user=user,
    )
    services.decide_by_consensus(meeting, new, user=user)
    refused = _removal(meeting, households[3], "pindah", user)
    services.record_tally(meeting, refused, yes=1, no=2, abstain=0, user=user)
    return meeting


@pytest.fixture
def decided(sekretaris: User, register: list[Any]) -> Meeting:
    return build_decided(sekretaris, register)


def lock(meeting: Meeting, user: User, *, real_pdf: bool) -> BeritaAcara:
    """Ask for the berita acara and run the job (immediate mode in tests, as the route does).
    The PDF is the real render with `real_pdf`, else tests/cheap_pdf.py's one page (a renderer
    the test put in place itself stays); signed for real either way (tests/factories.py)."""
    ba = ba_services.request_lock(meeting, user=user)
    db.session.commit()
    with nullcontext() if real_pdf else cheap_pdf():
        ba_tasks.generate(ba.id)
    db.session.expire_all()
    return db.session.get(BeritaAcara, ba.id)


@pytest.fixture
def locked(decided: Meeting, sekretaris: User, real_pdf: bool) -> tuple[Meeting, BeritaAcara]:
    """`decided`, locked: the real PDF for a test marked `real_pdf`, else the cheap one."""
    ba = lock(decided, sekretaris, real_pdf=real_pdf)
    assert ba.status == "done", ba.error
    return db.session.get(Meeting, decided.id), ba
