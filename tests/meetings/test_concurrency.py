"""Two people tapping at once: the database keeps check-ins and named votes unique.

Runs on SQLite and on PostgreSQL (the suite's second run); each thread has its own app context,
so its own session and connection, as two gunicorn workers would.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.blueprints.meetings import services, states
from portal.blueprints.meetings.models import Participant, Vote
from portal.extensions import db
from tests.meetings.test_services import removal, session

THREADS = 8


def _run_together(app, work) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                work(index)
                db.session.commit()
            except BaseException as error:  # collected and asserted below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_votes_of_one_voter_leave_one_vote(app, make_meeting, sekretaris, register):
    meeting, people = session(make_meeting, sekretaris, invited=3, present=3)
    proposal = removal(meeting, register[0], sekretaris)
    services.open_named_vote(meeting, proposal, user=sekretaris)
    db.session.commit()
    meeting_id, proposal_id, voter_id = meeting.id, proposal.id, people[0].id
    user_id = sekretaris.id

    def vote(index: int) -> None:
        from portal.blueprints.meetings.models import Meeting, Proposal
        from portal.blueprints.users.models import User

        m = db.session.get(Meeting, meeting_id)
        services.cast_vote(
            m,
            db.session.get(Proposal, proposal_id),
            db.session.get(Participant, voter_id),
            "setuju" if index % 2 else "tidak_setuju",
            user=db.session.get(User, user_id),
        )

    errors = _run_together(app, vote)
    assert errors == []
    db.session.expire_all()
    votes = (
        db.session.execute(
            select(Vote).where(Vote.proposal_id == proposal_id, Vote.participant_id == voter_id)
        )
        .scalars()
        .all()
    )
    assert len(votes) == 1
    assert votes[0].choice in ("setuju", "tidak_setuju")


def test_concurrent_check_ins_record_one_arrival(app, make_meeting, sekretaris):
    meeting = make_meeting(states.IN_SESSION, voters=2)
    meeting_id, participant_id, user_id = meeting.id, meeting.participants[0].id, sekretaris.id

    def tap(_index: int) -> None:
        from portal.blueprints.meetings.models import Meeting
        from portal.blueprints.users.models import User

        m = db.session.get(Meeting, meeting_id)
        services.check_in(
            m, db.session.get(Participant, participant_id), user=db.session.get(User, user_id)
        )

    errors = _run_together(app, tap)
    assert errors == []
    db.session.expire_all()
    assert db.session.get(Participant, participant_id).present
    arrivals = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "meeting.check_in")
    )
    assert arrivals == 1
