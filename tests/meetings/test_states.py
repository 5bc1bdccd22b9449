"""The meeting's state machine: every move from every state by every role, its records, and the
one-meeting-in-session rule (in the service and in the database)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEntry
from portal.blueprints.meetings import services, states
from portal.blueprints.meetings.models import Meeting, MeetingMove
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.refusal import Refused
from tests.factories import DESA_AIR_BULUH
from tests.meetings.conftest import (
    MakeMeeting,
    all_counts,
    audit_count,
    count,
    everyone_present,
    invite,
    moves_of,
    put_in_state,
    reload,
)

ROLES = ("admin", "sekretaris", "camat", "operator")

# What the rules of the meeting say, written out here rather than read from `states`:
# (move, from state) → roles that may make it.
ALLOWED = {
    ("schedule", "draft"): {"sekretaris"},
    ("open", "scheduled"): {"sekretaris"},
    ("decide", "in_session"): {"sekretaris"},
    ("reopen", "decided"): {"sekretaris"},
    ("cancel", "draft"): {"sekretaris", "admin"},
    ("cancel", "scheduled"): {"sekretaris", "admin"},
}
TARGET = {
    "schedule": "scheduled",
    "open": "in_session",
    "decide": "decided",
    "reopen": "in_session",
    "cancel": "cancelled",
}
ROLES_OF_MOVE = {
    "schedule": {"sekretaris"},
    "open": {"sekretaris"},
    "decide": {"sekretaris"},
    "reopen": {"sekretaris"},
    "cancel": {"sekretaris", "admin"},
}
NOT_YET: set[str] = set()
# The lock is made only by the berita acara job, confirm/return only by the camat's review,
# never as a plain move.
BY_OWNER_ONLY = {"lock", "confirm", "return"}
STATE_LABELS = {
    "draft": "draf",
    "scheduled": "terjadwal",
    "in_session": "sedang berlangsung",
    "decided": "diputuskan",
    "locked": "dikunci",
    "confirmed": "dikonfirmasi camat",
    "returned": "dikembalikan camat",
    "cancelled": "dibatalkan",
}
MOVE_LABELS = {
    "schedule": "Jadwalkan",
    "open": "Buka musyawarah",
    "decide": "Tetapkan keputusan",
    "reopen": "Buka kembali",
    "cancel": "Batalkan",
}


def test_the_tables_cover_the_states_module() -> None:
    assert set(states.STATES) == set(STATE_LABELS)
    assert set(states.MOVES) == set(ROLES_OF_MOVE) | NOT_YET | BY_OWNER_ONLY
    assert states.NOT_YET == NOT_YET
    assert states.BY_OWNER_ONLY == BY_OWNER_ONLY


def expected_refusal(state: str, move: str, role: str) -> str | None:
    """The message a refused move gives, or None when the move is allowed."""
    if move == "lock":
        return "Musyawarah dikunci dengan membuat berita acara."
    if move in BY_OWNER_ONLY:
        return "Konfirmasi dan pengembalian dilakukan camat di halaman konfirmasi."
    if move in NOT_YET:
        return "Langkah ini belum tersedia."
    if role in ALLOWED.get((move, state), set()):
        return None
    if role not in ROLES_OF_MOVE[move]:
        return "Peran Anda tidak dapat melakukan langkah ini."
    return (
        f'Musyawarah berstatus {STATE_LABELS[state]}: langkah "{MOVE_LABELS[move]}" '
        "tidak dapat dilakukan."
    )


@pytest.mark.parametrize("state", states.STATES)
def test_every_move_by_every_role_from_this_state(
    state: str, make_meeting: MakeMeeting, users: dict[str, User]
) -> None:
    # Two invited voters, so that "open" has someone to count; no proposals, so "decide" may go.
    meeting = make_meeting(states.DRAFT, voters=2)
    everyone_present(meeting)  # "decide" needs the quorum
    put_in_state(meeting, state)  # after the check-ins: a locked meeting's rows no longer change
    db.session.commit()
    for move in states.MOVES:
        for role in ROLES:
            user = users[role]
            expected = expected_refusal(state, move, role)
            before = all_counts()
            if expected is not None:
                with pytest.raises(Refused) as refused:
                    services.move(meeting, move, user=user)
                assert refused.value.message == expected, (state, move, role)
                db.session.rollback()
                assert reload(meeting).state == state, (move, role)
                assert all_counts() == before, (state, move, role)
                continue

            services.move(meeting, move, user=user, note=f"{move} oleh {role}")
            db.session.commit()
            assert reload(meeting).state == TARGET[move]
            recorded = moves_of(meeting)[-1]
            assert (recorded.move, recorded.from_state, recorded.to_state) == (
                move,
                state,
                TARGET[move],
            )
            assert recorded.user_id == user.id
            assert recorded.note == f"{move} oleh {role}"
            assert isinstance(recorded.created_at, datetime)
            entry = db.session.execute(
                db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
            ).scalar_one()
            assert entry.action == f"meeting.{move}"
            assert entry.object_type == "meeting"
            assert entry.object_id == str(meeting.id)
            assert entry.details == {"from": state, "to": TARGET[move]}
            after = all_counts()
            assert after["meeting_moves"] == before["meeting_moves"] + 1
            assert after["audit_entries"] == before["audit_entries"] + 1
            # Back to the state under test for the next role.
            meeting = reload(meeting)
            put_in_state(meeting, state)
            db.session.commit()


def test_available_moves_match_the_rules() -> None:
    for state in states.STATES:
        for role in ROLES:
            names = {m.name for m in states.available_moves(state, role)}
            assert names == {
                move
                for (move, source), roles in ALLOWED.items()
                if source == state and role in roles
            }, (state, role)


def test_unknown_move_is_refused(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting(states.DRAFT)
    with pytest.raises(Refused) as refused:
        services.move(meeting, "publish", user=sekretaris)
    assert refused.value.message == "Langkah ini belum tersedia."
    assert reload(meeting).state == states.DRAFT


def test_a_meeting_goes_through_its_life(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting(states.DRAFT, voters=3)
    everyone_present(meeting)
    for move in ("schedule", "open", "decide", "reopen", "decide"):
        services.move(meeting, move, user=sekretaris)
        db.session.commit()
    meeting = reload(meeting)
    assert meeting.state == states.DECIDED
    assert meeting.opened_at is not None
    assert meeting.decided_at is not None
    assert [(m.move, m.from_state, m.to_state) for m in moves_of(meeting)] == [
        ("schedule", "draft", "scheduled"),
        ("open", "scheduled", "in_session"),
        ("decide", "in_session", "decided"),
        ("reopen", "decided", "in_session"),
        ("decide", "in_session", "decided"),
    ]
    assert {m.user_id for m in moves_of(meeting)} == {sekretaris.id}
    assert audit_count("meeting.decide") == 2
    assert audit_count("meeting.reopen") == 1


def test_reopen_keeps_the_first_opening_time(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting(states.SCHEDULED, voters=1)
    everyone_present(meeting)
    services.move(meeting, "open", user=sekretaris)
    db.session.commit()
    opened = reload(meeting).opened_at
    services.move(meeting, "decide", user=sekretaris)
    services.move(meeting, "reopen", user=sekretaris)
    db.session.commit()
    meeting = reload(meeting)
    assert meeting.state == states.IN_SESSION
    assert meeting.opened_at == opened


@pytest.mark.parametrize("move", sorted(NOT_YET | BY_OWNER_ONLY))
@pytest.mark.parametrize("role", ROLES)
def test_lock_confirm_return_are_not_plain_moves(
    move: str, role: str, make_meeting: MakeMeeting, users: dict[str, User]
) -> None:
    # Even from the state the move would start from, by the role that would make it: the lock
    # comes only with the signed berita acara, confirm/return with the camat's review.
    meeting = make_meeting(states.DECIDED if move == "lock" else states.LOCKED)
    with pytest.raises(Refused) as refused:
        services.move(meeting, move, user=users[role])
    assert refused.value.message == expected_refusal(meeting.state, move, role)
    assert count(MeetingMove) == 0
    assert reload(meeting).state == (states.DECIDED if move == "lock" else states.LOCKED)


@pytest.mark.parametrize("state", [states.DRAFT, states.SCHEDULED])
def test_cancel_from_draft_or_scheduled(
    state: str, make_meeting: MakeMeeting, users: dict[str, User]
) -> None:
    meeting = make_meeting(state)
    services.move(meeting, "cancel", user=users["admin"], note="Salah jadwal")
    db.session.commit()
    assert reload(meeting).state == states.CANCELLED
    (recorded,) = moves_of(meeting)
    assert (recorded.from_state, recorded.to_state, recorded.user_id, recorded.note) == (
        state,
        "cancelled",
        users["admin"].id,
        "Salah jadwal",
    )


@pytest.mark.parametrize(
    "state", [s for s in states.STATES if s not in (states.DRAFT, states.SCHEDULED)]
)
def test_cancel_refused_once_the_meeting_has_begun(
    state: str, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting(state)
    with pytest.raises(Refused) as refused:
        services.move(meeting, "cancel", user=sekretaris)
    assert refused.value.message == (
        f'Musyawarah berstatus {STATE_LABELS[state]}: langkah "Batalkan" tidak dapat dilakukan.'
    )
    assert reload(meeting).state == state
    assert count(MeetingMove) == 0


# --- guards of "open" --------------------------------------------------------------------


def test_open_refused_without_invited_voters(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting(states.SCHEDULED)
    with pytest.raises(Refused) as refused:
        services.move(meeting, "open", user=sekretaris)
    assert refused.value.message == "Undang dulu peserta yang memiliki hak suara."
    assert reload(meeting).state == states.SCHEDULED
    assert count(MeetingMove) == 0
    assert audit_count("meeting.open") == 0


def test_open_refused_when_only_non_voting_participants_are_invited(
    make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    invite(meeting, "Pengamat Kecamatan", unsur="pengamat", votes=False, user=sekretaris)
    invite(meeting, "Notulen", unsur="notulen", votes=False, user=sekretaris)
    db.session.commit()
    with pytest.raises(Refused) as refused:
        services.move(meeting, "open", user=sekretaris)
    assert refused.value.message == "Undang dulu peserta yang memiliki hak suara."
    assert reload(meeting).state == states.SCHEDULED

    invite(meeting, "Ketua RT 001", unsur="rt_rw", user=sekretaris)
    db.session.commit()
    services.move(meeting, "open", user=sekretaris)
    db.session.commit()
    assert reload(meeting).state == states.IN_SESSION


def test_open_sees_a_voter_invited_in_the_same_request(
    make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    assert meeting.participants == []  # the list was loaded before the invitation
    invite(meeting, "Ketua BPD", unsur="bpd_lpm", user=sekretaris)
    services.move(meeting, "open", user=sekretaris)
    db.session.commit()
    assert reload(meeting).state == states.IN_SESSION


def test_one_meeting_in_session_per_village(make_meeting: MakeMeeting, sekretaris: User) -> None:
    first = make_meeting(states.IN_SESSION, voters=1)
    everyone_present(first)
    second = make_meeting(states.SCHEDULED, voters=1)
    with pytest.raises(Refused) as refused:
        services.move(second, "open", user=sekretaris)
    assert refused.value.message == (
        "Desa/kelurahan ini sudah memiliki musyawarah yang berlangsung."
    )
    assert reload(second).state == states.SCHEDULED
    assert reload(first).state == states.IN_SESSION
    assert count(MeetingMove) == 0

    # Another village is not affected.
    elsewhere = make_meeting(states.SCHEDULED, village=DESA_AIR_BULUH, voters=1)
    services.move(elsewhere, "open", user=sekretaris)
    db.session.commit()
    assert reload(elsewhere).state == states.IN_SESSION

    # Once the first is decided, the second may open.
    services.move(first, "decide", user=sekretaris)
    services.move(second, "open", user=sekretaris)
    db.session.commit()
    assert reload(second).state == states.IN_SESSION


def test_reopen_refused_while_another_meeting_of_the_village_is_in_session(
    make_meeting: MakeMeeting, sekretaris: User
) -> None:
    decided = make_meeting(states.DECIDED, voters=1)
    make_meeting(states.IN_SESSION, voters=1, meeting_date=date(2026, 12, 1))
    with pytest.raises(Refused) as refused:
        services.move(decided, "reopen", user=sekretaris)
    assert refused.value.message == (
        "Desa/kelurahan ini sudah memiliki musyawarah yang berlangsung."
    )
    assert reload(decided).state == states.DECIDED
    assert count(MeetingMove) == 0
    assert audit_count("meeting.reopen") == 0


def test_database_refuses_a_second_meeting_in_session(make_meeting: MakeMeeting) -> None:
    """The partial unique index holds even when the service is bypassed."""
    make_meeting(states.IN_SESSION)
    second = make_meeting(states.SCHEDULED)
    second.state = states.IN_SESSION
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert count(Meeting, Meeting.state == states.IN_SESSION) == 1


def test_database_allows_several_meetings_in_other_states(make_meeting: MakeMeeting) -> None:
    for state in states.STATES:
        make_meeting(state)
        make_meeting(state if state != states.IN_SESSION else states.DECIDED)
    assert count(Meeting) == 2 * len(states.STATES)


# --- guard of "decide" --------------------------------------------------------------------


def test_decide_refused_while_proposals_are_open(
    make_meeting: MakeMeeting, sekretaris: User, register
) -> None:
    meeting = make_meeting(states.IN_SESSION, voters=3)
    for household in register[:2]:
        services.add_removal(
            meeting,
            household,
            reason="pindah",
            reason_text=None,
            proposer="rt_rw",
            proposer_name=None,
            note=None,
            user=sekretaris,
        )
    db.session.commit()
    with pytest.raises(Refused) as refused:
        services.move(meeting, "decide", user=sekretaris)
    assert refused.value.message == "Masih ada 2 usulan yang belum diputuskan."
    meeting = reload(meeting)
    assert meeting.state == states.IN_SESSION
    assert meeting.decided_at is None
    assert count(MeetingMove) == 0

    for participant in meeting.participants:
        services.check_in(meeting, participant, user=sekretaris)
    services.decide_batch(meeting, user=sekretaris)
    db.session.commit()
    services.move(meeting, "decide", user=sekretaris)
    db.session.commit()
    meeting = reload(meeting)
    assert meeting.state == states.DECIDED
    assert meeting.decided_at is not None


def test_reopen_lets_the_session_continue(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting(states.IN_SESSION, voters=3)
    late = meeting.participants[2]
    meeting.participants[0].present = meeting.participants[1].present = True  # quorum: 2 of 3
    services.move(meeting, "decide", user=sekretaris)
    db.session.commit()
    with pytest.raises(Refused):
        services.check_in(meeting, late, user=sekretaris)
    services.move(meeting, "reopen", user=sekretaris)
    db.session.commit()
    services.check_in(meeting, late, user=sekretaris)
    db.session.commit()
    assert reload(late).present is True


# The meeting's vocabulary, written out here: which states allow what (issue 17.3).
VOCABULARY = {
    "details_editable": {"draft", "scheduled"},
    "participants_editable": {"draft", "scheduled"},
    "attendance_open": {"in_session"},
    "proposals_open": {"scheduled", "in_session"},
    "decisions_open": {"in_session"},
    "has_decisions": {"decided", "locked", "confirmed", "returned"},
    "awaiting_berita_acara": {"decided"},
    "awaiting_review": {"locked"},
    "is_sealed": {"locked", "confirmed", "returned"},
    "prelist_frozen": {"scheduled", "in_session", "decided", "locked"},
}


@pytest.mark.parametrize("word", sorted(VOCABULARY))
def test_the_meeting_answers_its_vocabulary_from_the_states(word: str) -> None:
    answers = {state for state in states.STATES if getattr(Meeting(state=state), word)}
    assert answers == VOCABULARY[word]


@pytest.mark.parametrize(
    ("present", "votes", "may_vote"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_who_may_vote(present: bool, votes: bool, may_vote: bool) -> None:
    from portal.blueprints.meetings.models import Participant

    assert Participant(present=present, votes=votes).may_vote is may_vote


def test_the_databases_sealed_states_are_the_state_machines() -> None:
    """Migrations 0004 and 0007 write the sealed states into the triggers as SQL text; a state
    added to `states.SEALED` without a migration would leave a locked meeting writable."""
    import importlib.util
    import re
    from pathlib import Path

    versions = Path(__file__).parents[2] / "migrations" / "versions"
    for name in ("0004_berita_acara.py", "0007_record_truth.py"):
        spec = importlib.util.spec_from_file_location(name[:-3], versions / name)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert set(re.findall(r"'(\w+)'", module.SEALED)) == set(states.SEALED), name


def test_the_trigger_in_the_database_names_the_sealed_states(app) -> None:
    """And what the migrations made is what runs: the trigger's text on this database."""
    import re

    if db.engine.dialect.name == "sqlite":
        sql = db.session.execute(
            db.text("SELECT sql FROM sqlite_master WHERE name = 'meetings_sealed_update'")
        ).scalar_one()
    else:
        sql = db.session.execute(
            db.text(
                "SELECT pg_get_functiondef(p.oid) FROM pg_proc p "
                "WHERE p.proname LIKE '%sealed%' ORDER BY p.proname"
            )
        ).scalars()
        sql = " ".join(sql)
    named = set(re.findall(r"'(\w+)'", sql)) & set(states.STATES)
    assert set(states.SEALED) <= named
