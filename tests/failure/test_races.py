"""Votes racing the close of the vote, the decide move and the berita acara request: no vote
lands after the item is closed, and what the decided list and the berita acara count is what the
votes table holds.

Several secretaries' phones (one test client per thread, each its own session and connection, as
gunicorn workers would) keep voting through the real routes while another closes the named vote,
decides the meeting and asks for the berita acara. The routes lock the meeting row
(`SELECT … FOR UPDATE`), so every vote is either before the close, and counted, or refused.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import select

from portal.blueprints.berita_acara import tasks as ba_tasks
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.meetings import services, states
from portal.blueprints.meetings.models import Meeting, MeetingMove, Proposal, Vote
from portal.extensions import db
from tests.factories import Auth
from tests.meetings.conftest import make_meeting, register, sekretaris  # noqa: F401  (fixtures)
from tests.meetings.test_services import removal, session

VOTERS = 6
CHOICES = ("setuju", "tidak_setuju", "abstain")


def _aware(moment):
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.fixture
def named_vote(app, make_meeting, sekretaris, register):
    meeting, people = session(make_meeting, sekretaris, invited=VOTERS, present=VOTERS)
    proposal = removal(meeting, register[0], sekretaris)
    services.open_named_vote(meeting, proposal, user=sekretaris)
    # Two votes are in before the race starts.
    for participant, choice in zip(people[:2], ("setuju", "tidak_setuju"), strict=True):
        services.cast_vote(meeting, proposal, participant, choice, user=sekretaris)
    db.session.commit()
    return meeting, proposal, people


def test_votes_racing_close_decide_and_lock_never_land_after_the_close(
    app, sekretaris, register, named_vote, monkeypatch
):
    meeting, proposal, people = named_vote
    meeting_id, proposal_id, kk = meeting.id, proposal.id, register[0].kk
    voter_ids = [participant.id for participant in people]
    base = f"/musyawarah/{meeting_id}"
    queued: list[int] = []
    # The berita acara job is left for "the worker" (run below, after the race).
    monkeypatch.setattr(ba_tasks, "generate_task", lambda ba_id, *_a, **_k: queued.append(ba_id))

    clients = []
    for _ in range(VOTERS + 1):
        client = app.test_client()
        Auth(client).login_as(sekretaris)
        clients.append(client)
    start = threading.Barrier(VOTERS + 1)
    closed = threading.Event()
    statuses: list[int] = []
    errors: list[BaseException] = []

    def voter(index: int) -> None:
        client, participant_id = clients[index], voter_ids[index]
        try:
            start.wait(timeout=20)
            for turn in range(200):
                response = client.post(
                    f"{base}/usulan/{proposal_id}/suara/{participant_id}",
                    data={"pilihan": CHOICES[(index + turn) % 3]},
                )
                statuses.append(response.status_code)
                if closed.is_set():
                    break
        except BaseException as error:  # asserted below
            errors.append(error)

    def chair() -> None:
        client = clients[VOTERS]
        try:
            start.wait(timeout=20)
            time.sleep(0.05)  # the votes are flowing
            for url in (
                f"{base}/usulan/{proposal_id}/tutup",
                f"{base}/langkah/decide",
                f"{base}/berita-acara",
            ):
                response = client.post(url)
                statuses.append(response.status_code)
        except BaseException as error:  # asserted below
            errors.append(error)
        finally:
            closed.set()

    threads = [threading.Thread(target=voter, args=(i,)) for i in range(VOTERS)]
    threads.append(threading.Thread(target=chair))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert set(statuses) <= {200, 302}, statuses  # refusals are messages, never a 500 or 503

    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting_id)
    proposal = db.session.get(Proposal, proposal_id)
    assert proposal.status == "decided" and proposal.method == "named"
    assert meeting.state == states.DECIDED
    decide_move = db.session.execute(
        select(MeetingMove).where(
            MeetingMove.meeting_id == meeting_id, MeetingMove.move == "decide"
        )
    ).scalar_one()

    votes = list(db.session.execute(select(Vote).where(Vote.proposal_id == proposal_id)).scalars())
    assert 2 <= len(votes) <= VOTERS  # one per voter; those too late were refused
    closed_at = _aware(proposal.decided_at)
    for vote in votes:
        assert _aware(vote.created_at) <= closed_at
        assert _aware(vote.updated_at) <= closed_at
        assert _aware(vote.updated_at) <= _aware(decide_move.created_at)
    in_table = {choice: sum(v.choice == choice for v in votes) for choice in CHOICES}
    counted = {
        "setuju": proposal.votes_yes,
        "tidak_setuju": proposal.votes_no,
        "abstain": proposal.votes_abstain,
    }
    assert counted == in_table

    # The worker now makes the berita acara: its counts are the votes table's.
    assert len(queued) == 1
    ba_tasks.generate(queued[0])
    db.session.expire_all()
    ba = db.session.get(BeritaAcara, queued[0])
    assert ba.status == "done", ba.error
    assert db.session.get(Meeting, meeting_id).state == states.LOCKED
    decided = json.loads(ba.canonical)
    rows = [
        row
        for group in (*decided["families"].values(), decided["rejected"])
        for row in group
        if row["kk"] == kk and "decision" in row  # (a rejected removal also lists it as tetap)
    ]
    assert len(rows) == 1
    decision = rows[0]["decision"]
    assert (decision["yes"], decision["no"], decision["abstain"]) == (
        in_table["setuju"],
        in_table["tidak_setuju"],
        in_table["abstain"],
    )
