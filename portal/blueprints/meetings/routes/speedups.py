"""The measured speed-ups of the meeting views, in one place (bench/meeting_page.py measured
them; bench/RESULTS.md, "What changed, and what each change saves"). The views read as if they
were plain loads and commits; what makes a tap in the village hall cheap is here:

- `load_meeting`: the `g` hand-off. The sealed-meeting check before a POST (`sealed.py`) has
  loaded the meeting already, locked; the view takes that object once instead of loading it
  again (a later call, e.g. after a rollback, loads it anew).
- `load_meeting_and_proposal`, `load_meeting_and_participant`: the row by primary key through
  a statement built once (`db.session.get` builds its query anew on every call).
- `commit_keeping_loaded`: commit without expiring what is loaded, so the htmx answer rendered
  next loads nothing again (the user, the meeting, its rows).

The other measured statement caches live with the queries they speed up: `access._scoped_by_key`
(the scoped load), and the `functools.cache`d statements of the meeting services (the check-in
and vote `UPDATE`s, the summary).
"""

from __future__ import annotations

import functools

from flask import abort, g, request
from sqlalchemy import bindparam, select

from portal.access import get_scoped_or_404
from portal.blueprints.meetings.models import Meeting, Participant, Proposal
from portal.extensions import db


def load_meeting(meeting_id: int) -> Meeting:
    """The meeting in the user's scope (404 outside it). A POST locks its row: every change of
    a meeting checks the state it has now, not the one another request is replacing (e.g.
    "decide" racing a check-in). The sealed-meeting check has loaded it so already: taken once
    from there."""
    if request.method == "POST":
        loaded = g.pop("locked_meeting", None)
        if loaded is not None and loaded.id == meeting_id:
            return loaded
    return get_scoped_or_404(Meeting, meeting_id, lock=request.method == "POST")


def load_meeting_and_proposal(meeting_id: int, proposal_id: int) -> tuple[Meeting, Proposal]:
    """The meeting (as `load_meeting`) and its proposal (404 for another meeting's)."""
    meeting = load_meeting(meeting_id)
    proposal = _by_id(Proposal, proposal_id)
    if proposal is None or proposal.meeting_id != meeting.id:
        abort(404)
    return meeting, proposal


def load_meeting_and_participant(
    meeting_id: int, participant_id: int
) -> tuple[Meeting, Participant]:
    """The meeting (as `load_meeting`) and its participant (404 for another meeting's)."""
    meeting = load_meeting(meeting_id)
    participant = _by_id(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting.id:
        abort(404)
    return meeting, participant


def _by_id(model, ident: int):
    return db.session.execute(_by_id_statement(model), {"ident": ident}).scalar_one_or_none()


@functools.cache
def _by_id_statement(model):
    return select(model).where(model.__mapper__.primary_key[0] == bindparam("ident"))


def commit_keeping_loaded() -> None:
    """Commit, and let the objects already loaded (the user, the meeting, its rows) keep the state
    just committed instead of expiring: the htmx answer rendered next loads none of them again."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
