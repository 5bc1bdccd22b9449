"""The meeting's services: participants and attendance, quorum, proposals, decisions, counts.

Every test reads back what the database holds (and the audit trail), and compares refusals with
the Indonesian message a secretary sees.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from portal.blueprints.meetings import services, states
from portal.blueprints.meetings.models import (
    REMOVAL_REASONS,
    UNSUR,
    KabupatenRules,
    Meeting,
    Participant,
    Proposal,
    Vote,
)
from portal.blueprints.register.models import Household
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.refusal import Refused
from portal.timeutil import utcnow
from tests.factories import DESA_AIR_BULUH, KAB_MUKOMUKO
from tests.meetings.conftest import (
    FAMILIES,
    MakeMeeting,
    all_counts,
    audit_count,
    count,
    families,
    invite,
    put_in_state,
    reload,
)

# NIKs first registered in Bogor (3201..): never in the synthetic Mukomuko register.
NIK_A = "3201010101900001"  # a man born 01-01-1990
NIK_B = "3201014101900002"  # a woman born 01-01-1990 (day + 40)
NIK_C = "3201010202850003"
NIK_D = "3201014505100004"
KK_NEW = "3201010101260001"
KK_NEW_2 = "3201010101260002"

LABEL = {
    "draft": "draf",
    "scheduled": "terjadwal",
    "in_session": "sedang berlangsung",
    "decided": "diputuskan",
    "locked": "dikunci",
    "confirmed": "dikonfirmasi camat",
    "returned": "dikembalikan camat",
    "cancelled": "dibatalkan",
}


def refused_in(what: str, state: str) -> str:
    return f"{what} tidak dapat diubah: musyawarah berstatus {LABEL[state]}."


def data(name: str = "Budi", unsur: str = "rt_rw", **fields) -> services.ParticipantData:
    return services.ParticipantData(name=name, unsur=unsur, **fields)


def session(
    make_meeting: MakeMeeting,
    user: User,
    *,
    invited: int,
    present: int,
    **kwargs,
) -> tuple[Meeting, list[Participant]]:
    """A meeting in session with `invited` voters of whom the first `present` checked in."""
    meeting = make_meeting(states.IN_SESSION, voters=invited, **kwargs)
    people = list(meeting.participants)
    for participant in people[:present]:
        services.check_in(meeting, participant, user=user)
    db.session.commit()
    return meeting, people


def removal(meeting: Meeting, household: Household, user: User, reason: str = "pindah", **kw):
    return services.add_removal(
        meeting,
        household,
        reason=reason,
        reason_text=kw.pop("reason_text", None),
        proposer=kw.pop("proposer", "rt_rw"),
        proposer_name=kw.pop("proposer_name", None),
        note=kw.pop("note", None),
        user=user,
    )


def correction(
    meeting: Meeting, household: Household, user: User, changes=None, remove=(), add=None
):
    return services.add_correction(
        meeting,
        household,
        changes=changes or {},
        remove_members=list(remove),
        add_members=add,
        proposer="warga",
        proposer_name="Pak RT",
        note=None,
        user=user,
    )


def new_family(meeting: Meeting, user: User, kk: str = KK_NEW, members=None, **kw):
    return services.add_new_family(
        meeting,
        kk=kk,
        alamat=kw.pop("alamat", "Jl. Baru No. 1"),
        rt=kw.pop("rt", "003"),
        rw=kw.pop("rw", "001"),
        members=[{"nik": NIK_A, "name": "Andi", "relation": "kepala keluarga"}]
        if members is None
        else members,
        proposer="pendamping",
        proposer_name=None,
        note=None,
        user=user,
    )


def error_of(call, *args, **kwargs) -> services.MeetingError:
    with pytest.raises(Refused) as refused:
        call(*args, **kwargs)
    db.session.rollback()
    return refused.value


# --- participants ------------------------------------------------------------------------


def test_add_participant_stores_what_was_given(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting()
    participant = services.add_participant(
        meeting,
        data(
            "  Siti Aminah ",
            "pkk",
            votes=False,
            position=" Ketua PKK ",
            nik=" 3201 0141 0190 0002 ",
            phone=" 0812-3456-7890 ",
        ),
        user=sekretaris,
    )
    db.session.commit()
    participant = reload(participant)
    assert participant.meeting_id == meeting.id
    assert (participant.name, participant.unsur, participant.votes, participant.position) == (
        "Siti Aminah",
        "pkk",
        False,
        "Ketua PKK",
    )
    assert (participant.nik, participant.phone) == (NIK_B, "0812-3456-7890")
    assert (participant.walk_in, participant.present, participant.checked_in_at) == (
        False,
        False,
        None,
    )
    assert audit_count("meeting.participant_add", participant=participant.id, walk_in=False) == 1


def test_nik_and_phone_are_optional(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting()
    first = services.add_participant(meeting, data("A", nik="", phone=" "), user=sekretaris)
    second = services.add_participant(meeting, data("B"), user=sekretaris)
    db.session.commit()
    assert (reload(first).nik, reload(first).phone) == (None, None)
    assert reload(second).nik is None  # two participants without NIK do not collide


@pytest.mark.parametrize("unsur", UNSUR)
def test_every_unsur_is_accepted(unsur: str, make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting()
    participant = services.add_participant(meeting, data(unsur=unsur), user=sekretaris)
    db.session.commit()
    assert reload(participant).unsur == unsur


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "   "}, "name", "Nama peserta wajib diisi."),
        ({"unsur": "kades"}, "unsur", "Pilih unsur peserta."),
        ({"unsur": ""}, "unsur", "Pilih unsur peserta."),
        ({"nik": "12345"}, "nik", "NIK harus 16 digit (berisi 5 digit)."),
        ({"nik": "32010101019000AB"}, "nik", "NIK hanya boleh berisi angka."),
        ({"nik": "32010101019000011"}, "nik", "NIK harus 16 digit (berisi 17 digit)."),
        (
            {"nik": "3.20101E+15"},
            "nik",
            "NIK tertulis sebagai notasi ilmiah (3.20101E+15): spreadsheet menyimpannya sebagai "
            "angka dan digit terakhir hilang. Format kolom sebagai Teks lalu ketik ulang.",
        ),
        (
            {"nik": "3201010101900000"},
            "nik",
            "Nomor urut NIK 0000 tidak mungkin: digit terakhirnya kemungkinan hilang karena "
            "spreadsheet.",
        ),
    ],
)
def test_add_participant_refuses_bad_input(
    fields: dict, field: str, message: str, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting()
    values = {"name": "Budi", "unsur": "rt_rw", **fields}
    refused = error_of(
        services.add_participant, meeting, services.ParticipantData(**values), user=sekretaris
    )
    assert (refused.message, refused.field) == (message, field)
    assert count(Participant) == 0


def test_duplicate_nik_in_the_same_meeting_is_refused(
    make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting()
    services.add_participant(meeting, data("Budi", nik=NIK_A), user=sekretaris)
    db.session.commit()
    refused = error_of(
        services.add_participant,
        meeting,
        data("Budi Santoso", nik="3201 0101 0190 0001"),
        user=sekretaris,
    )
    assert (refused.message, refused.field) == ("NIK ini sudah ada di daftar peserta.", "nik")
    assert count(Participant) == 1
    assert audit_count("meeting.participant_add") == 1

    # The same person may sit in another meeting.
    other = make_meeting(meeting_date=date(2027, 5, 1))
    services.add_participant(other, data("Budi", nik=NIK_A), user=sekretaris)
    db.session.commit()
    assert count(Participant, Participant.nik == NIK_A) == 2


@pytest.mark.parametrize("state", states.STATES)
def test_invitations_follow_the_state(
    state: str, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    """Invitations close when the session opens (walk-ins only from then on): a new invitee would
    move the quorum target in the middle of the meeting."""
    meeting = make_meeting(state)
    if state in (states.DRAFT, states.SCHEDULED):
        services.add_participant(meeting, data(), user=sekretaris)
        db.session.commit()
        assert count(Participant) == 1
    else:
        refused = error_of(services.add_participant, meeting, data(), user=sekretaris)
        assert refused.message == refused_in("Daftar undangan", state)
        assert count(Participant) == 0


@pytest.mark.parametrize("state", states.STATES)
def test_remove_participant_only_while_draft_or_scheduled(
    state: str, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting(states.DRAFT, voters=2)
    gone, kept = meeting.participants
    put_in_state(meeting, state)
    db.session.commit()
    if state in (states.DRAFT, states.SCHEDULED):
        services.remove_participant(meeting, gone, user=sekretaris)
        # The list the page shows in the same request no longer has them.
        assert [p.id for p in meeting.participants] == [kept.id]
        db.session.commit()
        assert [p.id for p in db.session.execute(select(Participant)).scalars()] == [kept.id]
        assert audit_count("meeting.participant_remove", participant=gone.id) == 1
    else:
        refused = error_of(services.remove_participant, meeting, gone, user=sekretaris)
        assert refused.message == refused_in("Daftar undangan", state)
        assert count(Participant) == 2
        assert audit_count("meeting.participant_remove") == 0


# --- copying the previous meeting's invitations -------------------------------------------


@pytest.fixture
def previous(make_meeting: MakeMeeting, sekretaris: User) -> Meeting:
    """The village's last meeting: three invited (one without a vote) and a walk-in."""
    meeting = make_meeting(states.SCHEDULED, meeting_date=date(2026, 5, 10))
    services.add_participant(
        meeting,
        data("Kepala Desa", "kepala_desa", nik=NIK_A, phone="0811", position="Kades"),
        user=sekretaris,
    )
    services.add_participant(meeting, data("Ketua RT 001", "rt_rw", nik=NIK_B), user=sekretaris)
    services.add_participant(meeting, data("Notulen", "notulen", votes=False), user=sekretaris)
    meeting.state = states.IN_SESSION
    db.session.commit()
    invite(meeting, "Warga Datang", walk_in=True, user=sekretaris)
    meeting.state = states.DECIDED
    db.session.commit()
    return meeting


def invited_of(meeting: Meeting) -> list[tuple]:
    return [
        (p.name, p.unsur, p.votes, p.nik, p.phone, p.position, p.walk_in, p.present)
        for p in db.session.execute(
            select(Participant).where(Participant.meeting_id == meeting.id).order_by(Participant.id)
        ).scalars()
    ]


def test_copy_previous_invites_everyone_but_walk_ins(
    previous: Meeting, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting(meeting_date=date(2026, 11, 20))
    assert services.copy_previous_participants(meeting, user=sekretaris) == 3
    db.session.commit()
    assert invited_of(meeting) == [
        ("Kepala Desa", "kepala_desa", True, NIK_A, "0811", "Kades", False, False),
        ("Ketua RT 001", "rt_rw", True, NIK_B, None, None, False, False),
        ("Notulen", "notulen", False, None, None, None, False, False),
    ]
    assert audit_count("meeting.participants_copy", from_meeting=previous.id, added=3) == 1


def test_copy_previous_twice_adds_nobody_twice(
    previous: Meeting, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting()
    assert services.copy_previous_participants(meeting, user=sekretaris) == 3
    # Twice in one request (nothing committed between), then once more in another.
    assert services.copy_previous_participants(meeting, user=sekretaris) == 0
    db.session.commit()
    assert services.copy_previous_participants(meeting, user=sekretaris) == 0
    db.session.commit()
    assert len(invited_of(meeting)) == 3


def test_copy_previous_skips_someone_already_invited(
    previous: Meeting, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting()
    # Same NIK, name written differently; and the notulen (no NIK), name in other case.
    services.add_participant(meeting, data("Bapak Kepala Desa", nik=NIK_A), user=sekretaris)
    services.add_participant(meeting, data("NOTULEN", "notulen", votes=False), user=sekretaris)
    db.session.commit()
    assert services.copy_previous_participants(meeting, user=sekretaris) == 1
    db.session.commit()
    assert [row[0] for row in invited_of(meeting)] == [
        "Bapak Kepala Desa",
        "NOTULEN",
        "Ketua RT 001",
    ]


def test_copy_previous_ignores_cancelled_meetings_and_other_villages(
    previous: Meeting, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    cancelled = make_meeting(meeting_date=date(2026, 9, 1))
    services.add_participant(cancelled, data("Batal"), user=sekretaris)
    cancelled.state = states.CANCELLED
    elsewhere = make_meeting(village=DESA_AIR_BULUH, meeting_date=date(2026, 10, 1))
    services.add_participant(elsewhere, data("Desa Lain"), user=sekretaris)
    db.session.commit()
    meeting = make_meeting()
    assert services.copy_previous_participants(meeting, user=sekretaris) == 3
    names = [row[0] for row in invited_of(meeting)]
    assert "Batal" not in names
    assert "Desa Lain" not in names


def test_copy_previous_without_a_previous_meeting(
    make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting()
    refused = error_of(services.copy_previous_participants, meeting, user=sekretaris)
    assert refused.message == "Belum ada musyawarah sebelumnya di desa/kelurahan ini."
    assert count(Participant) == 0


def test_copy_previous_refused_once_in_session(
    previous: Meeting, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    meeting.state = states.DECIDED  # previous is decided: this one may be in session
    db.session.commit()
    refused = error_of(services.copy_previous_participants, meeting, user=sekretaris)
    assert refused.message == refused_in("Daftar undangan", "decided")
    assert invited_of(meeting) == []


# --- walk-ins -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [s for s in states.STATES if s != states.IN_SESSION])
def test_walk_ins_only_while_in_session(
    state: str, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting = make_meeting(state)
    refused = error_of(services.add_participant, meeting, data(), user=sekretaris, walk_in=True)
    assert refused.message == refused_in("Peserta tambahan", state)
    assert count(Participant) == 0


def test_a_walk_in_is_present_at_once(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting(states.IN_SESSION, voters=1)
    walk_in = invite(meeting, "Tokoh Pemuda", walk_in=True, user=sekretaris)
    assert walk_in in meeting.participants  # the page of this request shows them
    db.session.commit()
    walk_in = reload(walk_in)
    assert (walk_in.walk_in, walk_in.present, walk_in.checked_in_by) == (True, True, sekretaris.id)
    assert walk_in.checked_in_at is not None
    assert audit_count("meeting.participant_add", participant=walk_in.id, walk_in=True) == 1

    refused = error_of(services.check_in, meeting, walk_in, user=sekretaris, present=False)
    assert refused.message == "Peserta tambahan selalu tercatat hadir."
    assert reload(walk_in).present is True


# --- attendance and quorum ----------------------------------------------------------------


@pytest.mark.parametrize("state", [s for s in states.STATES if s != states.IN_SESSION])
def test_check_in_only_in_session(state: str, make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting(states.DRAFT, voters=1)
    (participant,) = meeting.participants
    put_in_state(meeting, state)
    db.session.commit()
    refused = error_of(services.check_in, meeting, participant, user=sekretaris)
    assert refused.message == refused_in("Kehadiran", state)
    participant = reload(participant)
    assert (participant.present, participant.checked_in_at) == (False, None)
    assert audit_count("meeting.check_in") == 0


def test_check_in_is_idempotent_and_can_be_undone(
    make_meeting: MakeMeeting, users: dict[str, User]
) -> None:
    operator = users["operator"]
    meeting = make_meeting(states.IN_SESSION, voters=1)
    (participant,) = meeting.participants
    services.check_in(meeting, participant, user=operator)
    assert participant.present is True  # the object the page renders is up to date
    services.check_in(meeting, participant, user=operator)  # a second tap
    db.session.commit()
    participant = reload(participant)
    assert (participant.present, participant.checked_in_by) == (True, operator.id)
    assert participant.checked_in_at is not None
    assert audit_count("meeting.check_in", participant=participant.id) == 1

    services.check_in(meeting, participant, user=operator, present=False)
    services.check_in(meeting, participant, user=operator, present=False)
    db.session.commit()
    participant = reload(participant)
    assert (participant.present, participant.checked_in_at, participant.checked_in_by) == (
        False,
        None,
        None,
    )
    assert audit_count("meeting.check_out", participant=participant.id) == 1
    assert audit_count("meeting.check_in", participant=participant.id) == 1


@pytest.mark.parametrize(
    ("voters", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (9, 6), (10, 7)]
)
def test_quorum_is_two_thirds_of_invited_voters_rounded_up(
    voters: int, needed: int, make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=voters, present=needed - 1)
    state = services.attendance(meeting)
    assert (state.invited, state.invited_voters, state.quorum_needed) == (voters, voters, needed)
    assert (state.present, state.present_invited_voters, state.quorum) == (
        needed - 1,
        needed - 1,
        False,
    )
    services.check_in(meeting, people[needed - 1], user=sekretaris)
    state = services.attendance(meeting)
    assert (state.present_invited_voters, state.quorum) == (needed, True)


def test_no_quorum_without_invited_voters(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting = make_meeting(states.IN_SESSION)
    invite(meeting, "Warga", walk_in=True, user=sekretaris)
    state = services.attendance(meeting)
    assert (state.invited_voters, state.quorum_needed, state.present_voters, state.quorum) == (
        0,
        0,
        1,
        False,
    )


def test_walk_ins_vote_but_do_not_make_the_quorum(
    make_meeting: MakeMeeting, sekretaris: User
) -> None:
    meeting, _ = session(make_meeting, sekretaris, invited=3, present=1)
    invite(meeting, "Warga 1", walk_in=True, user=sekretaris)
    invite(meeting, "Warga 2", walk_in=True, user=sekretaris)
    db.session.commit()
    state = services.attendance(meeting)
    assert (state.invited, state.invited_voters, state.present) == (3, 3, 3)
    assert (state.present_voters, state.present_invited_voters) == (3, 1)
    assert (state.quorum_needed, state.quorum) == (2, False)


def test_non_voting_participants_do_not_count(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting, _ = session(make_meeting, sekretaris, invited=3, present=1)
    observer = invite(meeting, "Pengamat", unsur="pengamat", votes=False, user=sekretaris)
    notulen = invite(meeting, "Notulen", unsur="notulen", votes=False, user=sekretaris)
    services.check_in(meeting, observer, user=sekretaris)
    services.check_in(meeting, notulen, user=sekretaris)
    invite(meeting, "Wartawan", unsur="lainnya", votes=False, walk_in=True, user=sekretaris)
    db.session.commit()
    state = services.attendance(meeting)
    assert (state.invited, state.invited_voters, state.present) == (5, 3, 4)
    assert (state.present_voters, state.present_invited_voters) == (1, 1)
    assert (state.quorum_needed, state.quorum) == (2, False)


def test_kabupaten_rules_are_copied_into_the_meeting(
    make_meeting: MakeMeeting, sekretaris: User
) -> None:
    db.session.add(
        KabupatenRules(
            kabupaten_code=KAB_MUKOMUKO, quorum_num=1, quorum_den=2, majority_num=2, majority_den=3
        )
    )
    db.session.commit()
    meeting, _ = session(make_meeting, sekretaris, invited=4, present=2)
    assert (meeting.quorum_num, meeting.quorum_den) == (1, 2)
    state = services.attendance(meeting)
    assert (state.quorum_needed, state.quorum) == (2, True)
    assert services.majority_reached(meeting, 2, 3) is False  # 2/3 exactly: not more than
    assert services.majority_reached(meeting, 3, 4) is True
    # Later changes of the rules do not touch a meeting already made.
    rules = db.session.get(KabupatenRules, KAB_MUKOMUKO)
    rules.quorum_num, rules.quorum_den = 3, 4
    db.session.commit()
    assert (reload(meeting).quorum_num, reload(meeting).quorum_den) == (1, 2)


def test_attendance_is_frozen_once_decided(make_meeting: MakeMeeting, sekretaris: User) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=3, present=2)
    services.move(meeting, "decide", user=sekretaris)
    db.session.commit()
    before = services.attendance(meeting)
    refused = error_of(services.check_in, meeting, people[2], user=sekretaris)
    assert refused.message == refused_in("Kehadiran", "decided")
    refused = error_of(services.check_in, meeting, people[0], user=sekretaris, present=False)
    assert refused.message == refused_in("Kehadiran", "decided")
    refused = error_of(services.add_participant, meeting, data(), user=sekretaris, walk_in=True)
    assert refused.message == refused_in("Peserta tambahan", "decided")
    assert services.attendance(reload(meeting)) == before


# --- proposals ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", REMOVAL_REASONS)
def test_removal_with_each_reason(
    reason: str, make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    household = register[0]
    proposal = removal(
        meeting,
        household,
        sekretaris,
        reason,
        reason_text=" Menjadi TKI " if reason == "lainnya" else None,
        proposer_name="Ketua RT 002",
        note="Diusulkan RT",
    )
    db.session.commit()
    proposal = reload(proposal)
    assert (proposal.meeting_id, proposal.household_id, proposal.kind) == (
        meeting.id,
        household.id,
        "keluar",
    )
    assert (proposal.reason, proposal.reason_text) == (
        reason,
        "Menjadi TKI" if reason == "lainnya" else None,
    )
    assert (proposal.proposer, proposal.proposer_name, proposal.note) == (
        "rt_rw",
        "Ketua RT 002",
        "Diusulkan RT",
    )
    assert (proposal.status, proposal.accepted, proposal.created_by) == (
        "open",
        None,
        sekretaris.id,
    )
    assert audit_count("meeting.proposal_add", proposal=proposal.id, kind="keluar") == 1
    # The register itself is untouched until the decided list is applied.
    assert reload(household).status == "active"


@pytest.mark.parametrize(
    ("reason", "text", "field", "message"),
    [
        ("", None, "reason", "Pilih alasan keluar."),
        ("miskin", None, "reason", "Pilih alasan keluar."),
        # The register's own reason (an import's), not a meeting's.
        ("tidak_ada_di_prelist", None, "reason", "Pilih alasan keluar."),
        ("lainnya", None, "reason_text", "Tuliskan alasan lainnya."),
        ("lainnya", "   ", "reason_text", "Tuliskan alasan lainnya."),
    ],
)
def test_removal_needs_a_known_reason(
    reason: str,
    text: str | None,
    field: str,
    message: str,
    make_meeting: MakeMeeting,
    sekretaris: User,
    register: list[Household],
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    refused = error_of(removal, meeting, register[0], sekretaris, reason, reason_text=text)
    assert (refused.message, refused.field) == (message, field)
    assert count(Proposal) == 0


def test_one_proposal_per_family_per_meeting(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    household = register[0]
    removal(meeting, household, sekretaris)
    db.session.commit()
    message = "Keluarga ini sudah memiliki usulan di musyawarah ini."
    assert error_of(removal, meeting, household, sekretaris, "ganda").message == message
    refused = error_of(correction, meeting, household, sekretaris, {"alamat": "Jl. Lain"})
    assert refused.message == message
    assert count(Proposal) == 1
    assert audit_count("meeting.proposal_add") == 1

    other = make_meeting(states.SCHEDULED, meeting_date=date(2027, 5, 1))
    removal(other, household, sekretaris)
    db.session.commit()
    assert count(Proposal, Proposal.household_id == household.id) == 2


def test_proposal_for_a_family_of_another_village_is_refused(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    stranger = families(DESA_AIR_BULUH)[0]
    message = "Keluarga ini bukan dari desa/kelurahan musyawarah ini."
    assert error_of(removal, meeting, stranger, sekretaris).message == message
    refused = error_of(correction, meeting, stranger, sekretaris, {"alamat": "Jl. Lain"})
    assert refused.message == message
    assert count(Proposal) == 0


def test_proposal_for_a_family_no_longer_in_the_register_is_refused(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    """Only the prelist (active families) is decided on: summary and decided list agree."""
    household = register[0]
    household.status, household.removed_reason = "removed", "pindah"
    db.session.commit()
    meeting = make_meeting(states.SCHEDULED)
    message = "Keluarga ini tidak aktif di register."
    assert error_of(removal, meeting, household, sekretaris).message == message
    refused = error_of(correction, meeting, household, sekretaris, {"alamat": "Jl. Lain"})
    assert refused.message == message
    assert count(Proposal) == 0


@pytest.mark.parametrize(
    "state", [s for s in states.STATES if s not in (states.SCHEDULED, states.IN_SESSION)]
)
def test_proposals_only_while_scheduled_or_in_session(
    state: str, make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(state)
    expected = refused_in("Usulan", state)
    assert error_of(removal, meeting, register[0], sekretaris).message == expected
    refused = error_of(correction, meeting, register[1], sekretaris, {"alamat": "Jl. Lain"})
    assert refused.message == expected
    assert error_of(new_family, meeting, sekretaris).message == expected
    assert count(Proposal) == 0


@pytest.mark.parametrize("state", [states.SCHEDULED, states.IN_SESSION])
def test_proposals_while_scheduled_or_in_session(
    state: str, make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(state)
    removal(meeting, register[0], sekretaris)
    correction(meeting, register[1], sekretaris, {"alamat": "Jl. Lain"})
    new_family(meeting, sekretaris)
    db.session.commit()
    assert count(Proposal, Proposal.meeting_id == meeting.id) == 3


# --- perbaikan ----------------------------------------------------------------------------


def test_correction_shows_before_and_after(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    household = register[0]
    old_alamat, old_rt, old_rw = household.alamat, household.rt, household.rw
    members = [m.nik for m in household.members]
    proposal = correction(
        meeting,
        household,
        sekretaris,
        {
            "alamat": " Jl. Baru No. 2 ",
            "rt": old_rt,  # unchanged: not in the diff
            "rw": "009",
            "dusun": "Dusun VII",
            "kk": "3201010101260009",  # not correctable here: ignored
        },
        remove=[members[-1], NIK_D],  # NIK_D is no member: ignored
    )
    db.session.commit()
    proposal = reload(proposal)
    assert (proposal.kind, proposal.household_id, proposal.proposer) == (
        "perbaikan",
        household.id,
        "warga",
    )
    assert proposal.details == {
        "fields": {
            "alamat": [old_alamat, "Jl. Baru No. 2"],
            "rw": [old_rw, "009"],
            "dusun": [household.dusun, "Dusun VII"],
        },
        "members_removed": [members[-1]],
        "members_added": [],
    }
    # Only a proposal: the family itself is not changed.
    household = reload(household)
    assert (household.alamat, household.rw) == (old_alamat, old_rw)
    assert len(household.members) == len(members)


def test_correction_removing_members_only(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    household = next(h for h in register if len(h.members) >= 3)
    niks = [m.nik for m in household.members]
    proposal = correction(meeting, household, sekretaris, {"alamat": household.alamat}, niks[1:3])
    db.session.commit()
    assert reload(proposal).details == {
        "fields": {},
        "members_removed": niks[1:3],
        "members_added": [],
    }


def test_correction_that_changes_nothing_is_refused(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    household = register[0]
    message = "Tidak ada perubahan yang diusulkan."
    same = {"alamat": f"  {household.alamat} ", "rt": household.rt, "rw": household.rw}
    assert error_of(correction, meeting, household, sekretaris, same).message == message
    assert error_of(correction, meeting, household, sekretaris, {}, [NIK_D]).message == message
    refused = error_of(correction, meeting, household, sekretaris, {"kk": KK_NEW})
    assert refused.message == message
    assert count(Proposal) == 0


def test_correction_reads_rt_and_rw_as_the_import_does(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    """The register keeps RT/RW as three digits ("002"); "2" is the same RT, "7" is "007"."""
    meeting = make_meeting(states.SCHEDULED)
    household = register[0]
    assert len(household.rt) == 3
    unpadded = {"rt": str(int(household.rt)), "rw": str(int(household.rw))}
    refused = error_of(correction, meeting, household, sekretaris, unpadded)
    assert refused.message == "Tidak ada perubahan yang diusulkan."
    new_rt = "7" if household.rt != "007" else "8"
    proposal = correction(meeting, household, sekretaris, {"rt": new_rt})
    db.session.commit()
    assert reload(proposal).details["fields"] == {"rt": [household.rt, new_rt.zfill(3)]}


def test_correction_adding_members(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    household = register[0]
    proposal = correction(
        meeting, household, sekretaris, add=[{"nik": NIK_D, "name": " Bayi ", "relation": "anak"}]
    )
    db.session.commit()
    assert reload(proposal).details == {
        "fields": {},
        "members_removed": [],
        "members_added": [{"nik": NIK_D, "name": "Bayi", "relation": "ANAK"}],
    }


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("12345", "NIK harus 16 digit (berisi 5 digit)."),
        ("3201010113900001", "Bulan lahir dalam NIK (digit 9–10) tidak mungkin: 13."),
        ("REGISTER_NIK", "REGISTER_NIK"),
    ],
)
def test_correction_validates_added_members(
    nik: str, message: str, make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    if nik == "REGISTER_NIK":
        nik = register[1].members[0].nik
        message = f"NIK {nik} sudah terdaftar di register."
    meeting = make_meeting(states.SCHEDULED)
    refused = error_of(correction, meeting, register[0], sekretaris, add=[member(nik)])
    assert (refused.message, refused.field) == (message, "new_members")
    refused = error_of(
        correction, meeting, register[0], sekretaris, add=[member(NIK_D), member(NIK_D)]
    )
    assert (refused.message, refused.field) == ("NIK yang sama tercantum dua kali.", "new_members")
    assert count(Proposal) == 0


def test_a_new_person_is_proposed_once_per_meeting(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    """A NIK added to one family cannot also be added to another, or be in a new family."""
    meeting = make_meeting(states.SCHEDULED)
    correction(meeting, register[0], sekretaris, add=[member(NIK_D)])
    db.session.commit()
    message = f"NIK {NIK_D} sudah tercantum di usulan lain dalam musyawarah ini."
    refused = error_of(correction, meeting, register[1], sekretaris, add=[member(NIK_D)])
    assert (refused.message, refused.field) == (message, "new_members")
    refused = error_of(new_family, meeting, sekretaris, members=[member(NIK_A), member(NIK_D)])
    assert (refused.message, refused.field) == (message, "members")
    assert count(Proposal) == 1


# --- usulan baru --------------------------------------------------------------------------


def test_new_family_is_stored_with_its_members(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.IN_SESSION)
    proposal = new_family(
        meeting,
        sekretaris,
        kk=" 3201 0101 0126 0001 ",
        members=[
            {"nik": NIK_A, "name": " Andi ", "relation": "kepala keluarga"},
            {"nik": NIK_B, "name": "Sari", "relation": "istri"},
            {"nik": NIK_D, "name": "Putri", "relation": ""},
        ],
    )
    second = new_family(meeting, sekretaris, kk=KK_NEW_2, members=[{"nik": NIK_C, "name": "Cecep"}])
    db.session.commit()
    proposal = reload(proposal)
    assert (proposal.kind, proposal.household_id, proposal.status) == ("baru", None, "open")
    assert proposal.details == {
        "kk": KK_NEW,
        "alamat": "Jl. Baru No. 1",
        "rt": "003",
        "rw": "001",
        "members": [
            {"nik": NIK_A, "name": "Andi", "relation": "KEPALA KELUARGA"},
            {"nik": NIK_B, "name": "Sari", "relation": "ISTRI"},
            {"nik": NIK_D, "name": "Putri", "relation": None},
        ],
    }
    assert reload(second).details["kk"] == KK_NEW_2
    third = new_family(
        meeting,
        sekretaris,
        kk="3201010101260003",
        members=[member("3201010303800005")],
        rt="4",
        rw="12",
    )
    assert (third.details["rt"], third.details["rw"]) == ("004", "012")  # as the import keeps them
    assert count(Household) == FAMILIES + 2  # nothing entered into the register yet
    assert audit_count("meeting.proposal_add", kind="baru") == 3


def member(nik: str, name: str = "Anggota") -> dict[str, str]:
    return {"nik": nik, "name": name, "relation": "ANAK"}


@pytest.mark.parametrize(
    ("kk", "members", "field", "message"),
    [
        ("12345", None, "kk", "No. KK harus 16 digit (berisi 5 digit)."),
        ("", None, "kk", "No. KK kosong."),
        ("3201O10101260001", None, "kk", "No. KK hanya boleh berisi angka."),
        (
            "3.20101E+15",
            None,
            "kk",
            "No. KK tertulis sebagai notasi ilmiah (3.20101E+15): spreadsheet menyimpannya "
            "sebagai angka dan digit terakhir hilang. Format kolom sebagai Teks lalu ketik ulang.",
        ),
        ("REGISTER_KK", None, "kk", "No. KK ini sudah ada di register."),
        (KK_NEW, [], "members", "Isi minimal satu anggota keluarga."),
        (KK_NEW, [member("320101010190")], "members", "NIK harus 16 digit (berisi 12 digit)."),
        (KK_NEW, [member("32010101019000X1")], "members", "NIK hanya boleh berisi angka."),
        (KK_NEW, [member("")], "members", "NIK kosong."),
        (
            KK_NEW,
            [member("3201010113900001")],
            "members",
            "Bulan lahir dalam NIK (digit 9–10) tidak mungkin: 13.",
        ),
        (
            KK_NEW,
            [member(NIK_A), member("3201013501900001")],
            "members",
            "Tanggal lahir dalam NIK (digit 7–8) tidak mungkin: 35 (1–31 untuk laki-laki, "
            "41–71 untuk perempuan).",
        ),
        (
            KK_NEW,
            [member("3201017202900001")],  # 32 February (a woman's day 72 - 40)
            "members",
            "Tanggal lahir dalam NIK (digit 7–8) tidak mungkin: 72 (1–31 untuk laki-laki, "
            "41–71 untuk perempuan).",
        ),
        (
            KK_NEW,
            [member(NIK_A), member(NIK_B), member(NIK_A)],
            "members",
            "NIK yang sama tercantum dua kali.",
        ),
        (KK_NEW, [member(NIK_A), member("REGISTER_NIK")], "members", "REGISTER_NIK"),
        (KK_NEW, [member(NIK_A, "  ")], "members", "Nama anggota wajib diisi."),
    ],
)
def test_new_family_is_validated_like_the_import(
    kk: str,
    members: list | None,
    field: str,
    message: str,
    make_meeting: MakeMeeting,
    sekretaris: User,
    register: list[Household],
) -> None:
    known = register[0]
    if kk == "REGISTER_KK":
        kk = known.kk
    if message == "REGISTER_NIK":
        registered = known.members[0].nik
        members = [member(NIK_A), member(registered)]
        message = f"NIK {registered} sudah terdaftar di register."
    meeting = make_meeting(states.SCHEDULED)
    refused = error_of(new_family, meeting, sekretaris, kk=kk, members=members)
    assert (refused.message, refused.field) == (message, field)
    assert count(Proposal) == 0


def test_new_family_refuses_a_member_of_a_removed_family_too(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    """A NIK is unique in the whole register, whatever its family's status."""
    household = register[0]
    household.status, household.removed_reason = "removed", "pindah"
    db.session.commit()
    nik = household.members[0].nik
    meeting = make_meeting(states.SCHEDULED)
    refused = error_of(new_family, meeting, sekretaris, members=[member(nik)])
    assert refused.message == f"NIK {nik} sudah terdaftar di register."
    refused = error_of(new_family, meeting, sekretaris, kk=household.kk)
    assert refused.message == "No. KK ini sudah ada di register."


def test_new_family_already_proposed_in_the_meeting_is_refused(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    """Within one meeting, as within one import file: a KK or a NIK is proposed once."""
    meeting = make_meeting(states.SCHEDULED)
    new_family(meeting, sekretaris, members=[member(NIK_A), member(NIK_B)])
    db.session.commit()
    refused = error_of(new_family, meeting, sekretaris, members=[member(NIK_C)])
    assert (refused.message, refused.field) == (
        "Keluarga ini sudah memiliki usulan di musyawarah ini.",
        "kk",
    )
    refused = error_of(new_family, meeting, sekretaris, kk=KK_NEW_2, members=[member(NIK_B)])
    assert (refused.message, refused.field) == (
        f"NIK {NIK_B} sudah tercantum di usulan lain dalam musyawarah ini.",
        "members",
    )
    assert count(Proposal) == 1
    # Another meeting of the village may propose it again (e.g. after this one was cancelled).
    other = make_meeting(states.SCHEDULED, meeting_date=date(2027, 5, 1))
    new_family(other, sekretaris, members=[member(NIK_A), member(NIK_B)])
    db.session.commit()
    assert count(Proposal) == 2


# --- withdrawing ----------------------------------------------------------------------------


def test_withdraw_an_open_proposal(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.SCHEDULED)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    proposal_id = proposal.id
    services.withdraw_proposal(meeting, proposal, user=sekretaris)
    db.session.commit()
    assert db.session.get(Proposal, proposal_id) is None
    assert audit_count("meeting.proposal_withdraw", proposal=proposal_id) == 1
    # The family may be proposed again.
    removal(meeting, register[0], sekretaris, "ganda")
    db.session.commit()
    assert count(Proposal) == 1


def test_withdraw_refused_once_decided_or_voted(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=3, present=3)
    decided = removal(meeting, register[0], sekretaris)
    voted = removal(meeting, register[1], sekretaris)
    services.decide_by_consensus(meeting, decided, user=sekretaris)
    services.open_named_vote(meeting, voted, user=sekretaris)
    services.cast_vote(meeting, voted, people[0], "setuju", user=sekretaris)
    db.session.commit()
    refused = error_of(services.withdraw_proposal, meeting, decided, user=sekretaris)
    assert refused.message == "Usulan yang sudah diputuskan tidak dapat ditarik."
    refused = error_of(services.withdraw_proposal, meeting, voted, user=sekretaris)
    assert refused.message == "Usulan yang sudah dipilih tidak dapat ditarik."
    assert count(Proposal) == 2
    assert audit_count("meeting.proposal_withdraw") == 0


def test_withdraw_refused_after_the_meeting_decided(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.IN_SESSION)
    proposal = removal(meeting, register[0], sekretaris)
    meeting.state = states.DECIDED
    db.session.commit()
    refused = error_of(services.withdraw_proposal, meeting, proposal, user=sekretaris)
    assert refused.message == refused_in("Usulan", "decided")
    assert count(Proposal) == 1


# --- consensus ----------------------------------------------------------------------------


def test_consensus_only_while_quorum_holds(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=3, present=1)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    refused = error_of(services.decide_by_consensus, meeting, proposal, user=sekretaris)
    assert refused.message == "Kuorum belum tercapai: mufakat tidak dapat dicatat."
    proposal = reload(proposal)
    assert (proposal.status, proposal.accepted, proposal.method) == ("open", None, None)

    services.check_in(meeting, people[1], user=sekretaris)
    services.decide_by_consensus(meeting, proposal, user=sekretaris)
    db.session.commit()
    proposal = reload(proposal)
    assert (proposal.status, proposal.accepted, proposal.method) == ("decided", True, "mufakat")
    assert (proposal.voters_present, proposal.decided_by) == (2, sekretaris.id)
    assert proposal.decided_at is not None
    assert audit_count("meeting.decide_consensus", proposal=proposal.id) == 1

    refused = error_of(services.decide_by_consensus, meeting, proposal, user=sekretaris)
    assert refused.message == "Usulan ini sudah diputuskan."


def test_walk_ins_do_not_make_a_consensus_quorum(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, _ = session(make_meeting, sekretaris, invited=3, present=1)
    for i in range(5):
        invite(meeting, f"Warga {i}", walk_in=True, user=sekretaris)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    refused = error_of(services.decide_by_consensus, meeting, proposal, user=sekretaris)
    assert refused.message == "Kuorum belum tercapai: mufakat tidak dapat dicatat."


@pytest.mark.parametrize("state", [s for s in states.STATES if s != states.IN_SESSION])
def test_decisions_only_in_session(
    state: str, make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=3, present=3)
    proposal = removal(meeting, register[0], sekretaris)
    put_in_state(meeting, state)
    db.session.commit()
    expected = refused_in("Keputusan", state)
    for call, kwargs in (
        (services.decide_by_consensus, {}),
        (services.record_tally, {"yes": 3, "no": 0, "abstain": 0}),
        (services.open_named_vote, {}),
        (services.close_named_vote, {}),
    ):
        assert error_of(call, meeting, proposal, user=sekretaris, **kwargs).message == expected
    refused = error_of(services.cast_vote, meeting, proposal, people[0], "setuju", user=sekretaris)
    assert refused.message == expected
    assert error_of(services.decide_batch, meeting, user=sekretaris).message == expected
    proposal = reload(proposal)
    assert (proposal.status, proposal.vote_mode) == ("open", None)
    assert count(Vote) == 0


# --- tally (show of hands) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "yes", "no", "abstain", "accepted"),
    [
        (4, 3, 1, 0, True),
        (4, 2, 2, 0, False),  # exactly half: not more than half
        (4, 2, 1, 1, False),  # abstentions count in the base: 2 of 4
        (5, 3, 0, 2, True),
        (5, 2, 1, 2, False),  # more yes than no, yet not more than half of those present
        (4, 0, 0, 4, False),  # all abstain
        (3, 2, 0, 0, True),  # hands not raised are not yes: 2 of 3 still a majority
        (4, 2, 0, 0, False),
        (1, 1, 0, 0, True),
        (1, 0, 1, 0, False),
    ],
)
def test_tally_majority_is_more_than_half_of_present_voters(
    present: int,
    yes: int,
    no: int,
    abstain: int,
    accepted: bool,
    make_meeting: MakeMeeting,
    sekretaris: User,
    register: list[Household],
) -> None:
    # Everyone invited is present: the quorum holds, and the majority alone decides.
    meeting, _ = session(make_meeting, sekretaris, invited=present, present=present)
    proposal = removal(meeting, register[0], sekretaris)
    services.record_tally(meeting, proposal, yes=yes, no=no, abstain=abstain, user=sekretaris)
    db.session.commit()
    proposal = reload(proposal)
    assert (proposal.status, proposal.accepted, proposal.method) == ("decided", accepted, "tally")
    assert (proposal.votes_yes, proposal.votes_no, proposal.votes_abstain) == (yes, no, abstain)
    assert (proposal.voters_present, proposal.decided_by) == (present, sekretaris.id)
    assert audit_count("meeting.decide_tally", proposal=proposal.id, yes=yes) == 1


def test_tally_cannot_exceed_present_voters(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, _ = session(make_meeting, sekretaris, invited=6, present=4)
    observer = invite(meeting, "Pengamat", unsur="pengamat", votes=False, user=sekretaris)
    services.check_in(meeting, observer, user=sekretaris)  # present, but no vote
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    refused = error_of(
        services.record_tally, meeting, proposal, yes=3, no=1, abstain=1, user=sekretaris
    )
    assert refused.message == "Jumlah suara (5) melebihi peserta berhak suara yang hadir (4)."
    proposal = reload(proposal)
    assert (proposal.status, proposal.votes_yes, proposal.votes_no) == ("open", 0, 0)
    assert audit_count("meeting.decide_tally") == 0

    # A walk-in voter raises the limit.
    invite(meeting, "Warga", walk_in=True, user=sekretaris)
    services.record_tally(meeting, proposal, yes=3, no=1, abstain=1, user=sekretaris)
    db.session.commit()
    assert reload(proposal).voters_present == 5


def test_tally_refuses_negative_counts(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, _ = session(make_meeting, sekretaris, invited=3, present=3)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    refused = error_of(
        services.record_tally, meeting, proposal, yes=3, no=-1, abstain=0, user=sekretaris
    )
    assert refused.message == "Jumlah suara tidak boleh negatif."
    assert reload(proposal).status == "open"


def test_tally_refused_when_nobody_may_vote(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, _ = session(make_meeting, sekretaris, invited=3, present=0)
    observer = invite(meeting, "Pengamat", unsur="pengamat", votes=False, user=sekretaris)
    services.check_in(meeting, observer, user=sekretaris)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    for counts in ({"yes": 0, "no": 0, "abstain": 0}, {"yes": 1, "no": 0, "abstain": 0}):
        refused = error_of(services.record_tally, meeting, proposal, user=sekretaris, **counts)
        assert refused.message == "Tidak ada peserta berhak suara yang hadir."
    assert reload(proposal).status == "open"


# --- recusal --------------------------------------------------------------------------------


def test_a_member_of_the_family_does_not_vote_on_it(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    household, other_family = register[0], register[1]
    meeting = make_meeting(states.IN_SESSION, voters=3)
    relative = invite(
        meeting,
        "Kepala Keluarga",
        unsur="perwakilan_keluarga_miskin",
        nik=household.members[0].nik,
        user=sekretaris,
    )
    for participant in list(meeting.participants):
        services.check_in(meeting, participant, user=sekretaris)
    proposal = removal(meeting, household, sekretaris)
    unrelated = removal(meeting, other_family, sekretaris)
    db.session.commit()

    assert services.recused_ids(meeting, proposal) == {relative.id}
    assert relative not in services.eligible_voters(meeting, proposal)
    assert len(services.eligible_voters(meeting, proposal)) == 3
    assert len(services.eligible_voters(meeting, unrelated)) == 4

    refused = error_of(
        services.record_tally, meeting, proposal, yes=3, no=1, abstain=0, user=sekretaris
    )
    assert refused.message == "Jumlah suara (4) melebihi peserta berhak suara yang hadir (3)."
    services.record_tally(meeting, proposal, yes=2, no=1, abstain=0, user=sekretaris)
    db.session.commit()
    proposal = reload(proposal)
    assert (proposal.accepted, proposal.voters_present) == (True, 3)

    services.open_named_vote(meeting, unrelated, user=sekretaris)
    services.cast_vote(meeting, unrelated, relative, "setuju", user=sekretaris)
    db.session.commit()
    assert count(Vote, Vote.participant_id == relative.id) == 1


def test_a_recused_participant_cannot_cast_a_named_vote(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    household = register[0]
    meeting = make_meeting(states.IN_SESSION, voters=2)
    relative = invite(meeting, "Anak", nik=household.members[-1].nik, user=sekretaris)
    for participant in list(meeting.participants):
        services.check_in(meeting, participant, user=sekretaris)
    proposal = removal(meeting, household, sekretaris)
    services.open_named_vote(meeting, proposal, user=sekretaris)
    db.session.commit()
    refused = error_of(services.cast_vote, meeting, proposal, relative, "setuju", user=sekretaris)
    assert refused.message == "Peserta ini anggota keluarga yang dibahas dan tidak ikut memilih."
    assert count(Vote) == 0


def test_recusal_on_a_new_family_by_its_proposed_members(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting = make_meeting(states.IN_SESSION, voters=2)
    applicant = invite(meeting, "Andi", nik=NIK_A, user=sekretaris)
    for participant in list(meeting.participants):
        services.check_in(meeting, participant, user=sekretaris)
    proposal = new_family(meeting, sekretaris, members=[member(NIK_A), member(NIK_B)])
    db.session.commit()
    assert services.recused_ids(meeting, proposal) == {applicant.id}
    refused = error_of(
        services.record_tally, meeting, proposal, yes=3, no=0, abstain=0, user=sekretaris
    )
    assert refused.message == "Jumlah suara (3) melebihi peserta berhak suara yang hadir (2)."


# --- named voting ---------------------------------------------------------------------------


def test_named_vote_one_per_voter_changeable(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=3, present=3)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    refused = error_of(services.cast_vote, meeting, proposal, people[0], "setuju", user=sekretaris)
    assert refused.message == "Pemungutan suara bernama belum dibuka untuk usulan ini."

    services.open_named_vote(meeting, proposal, user=sekretaris)
    db.session.commit()
    proposal = reload(proposal)
    assert (proposal.vote_mode, proposal.disputed) == ("named", True)

    services.cast_vote(meeting, proposal, people[0], "setuju", user=sekretaris)
    db.session.commit()
    services.cast_vote(meeting, proposal, people[0], "tidak_setuju", user=sekretaris)
    services.cast_vote(meeting, proposal, people[0], "abstain", user=sekretaris)
    db.session.commit()
    votes = list(db.session.execute(select(Vote)).scalars())
    assert [(v.proposal_id, v.participant_id, v.choice) for v in votes] == [
        (proposal.id, people[0].id, "abstain")
    ]
    assert services.named_tally(proposal) == {"setuju": 0, "tidak_setuju": 0, "abstain": 1}
    assert audit_count("meeting.vote", participant=people[0].id) == 3

    refused = error_of(services.cast_vote, meeting, proposal, people[1], "ya", user=sekretaris)
    assert refused.message == "Pilihan suara tidak dikenal."
    assert count(Vote) == 1


def test_named_vote_refused_for_absent_non_voting_or_foreign_participants(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=3, present=2)
    observer = invite(meeting, "Pengamat", unsur="pengamat", votes=False, user=sekretaris)
    services.check_in(meeting, observer, user=sekretaris)
    elsewhere = make_meeting(states.IN_SESSION, village=DESA_AIR_BULUH, voters=1)
    (foreigner,) = elsewhere.participants
    services.check_in(elsewhere, foreigner, user=sekretaris)
    proposal = removal(meeting, register[0], sekretaris)
    services.open_named_vote(meeting, proposal, user=sekretaris)
    db.session.commit()
    message = "Peserta ini tidak hadir atau tidak memiliki hak suara."
    for participant in (people[2], observer, foreigner):
        refused = error_of(
            services.cast_vote, meeting, proposal, participant, "setuju", user=sekretaris
        )
        assert refused.message == message, participant.name
    assert count(Vote) == 0


def test_close_named_vote_counts_only_eligible_voters(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=4, present=4)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    refused = error_of(services.close_named_vote, meeting, proposal, user=sekretaris)
    assert refused.message == "Pemungutan suara bernama belum dibuka untuk usulan ini."
    services.open_named_vote(meeting, proposal, user=sekretaris)
    for participant, choice in zip(
        people, ("setuju", "setuju", "setuju", "tidak_setuju"), strict=True
    ):
        services.cast_vote(meeting, proposal, participant, choice, user=sekretaris)
    db.session.commit()
    services.check_in(meeting, people[1], user=sekretaris, present=False)  # left the room
    services.close_named_vote(meeting, proposal, user=sekretaris)
    db.session.commit()
    proposal = reload(proposal)
    assert (proposal.status, proposal.accepted, proposal.method) == ("decided", True, "named")
    assert (proposal.votes_yes, proposal.votes_no, proposal.votes_abstain) == (2, 1, 0)
    assert proposal.voters_present == 3
    assert audit_count("meeting.decide_named", proposal=proposal.id, setuju=2) == 1
    refused = error_of(services.cast_vote, meeting, proposal, people[0], "abstain", user=sekretaris)
    assert refused.message == "Usulan ini sudah diputuskan."
    assert count(Vote, Vote.choice == "abstain") == 0


def test_close_named_vote_silent_voters_are_not_yes(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=4, present=4)
    proposal = removal(meeting, register[0], sekretaris)
    services.open_named_vote(meeting, proposal, user=sekretaris)
    services.cast_vote(meeting, proposal, people[0], "setuju", user=sekretaris)
    services.cast_vote(meeting, proposal, people[1], "setuju", user=sekretaris)
    services.close_named_vote(meeting, proposal, user=sekretaris)
    db.session.commit()
    proposal = reload(proposal)
    assert (proposal.accepted, proposal.votes_yes, proposal.voters_present) == (False, 2, 4)


def test_close_named_vote_refused_when_nobody_may_vote(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=2, present=1)
    proposal = removal(meeting, register[0], sekretaris)
    services.open_named_vote(meeting, proposal, user=sekretaris)
    services.cast_vote(meeting, proposal, people[0], "setuju", user=sekretaris)
    services.check_in(meeting, people[0], user=sekretaris, present=False)
    db.session.commit()
    refused = error_of(services.close_named_vote, meeting, proposal, user=sekretaris)
    assert refused.message == "Tidak ada peserta berhak suara yang hadir."
    assert reload(proposal).status == "open"


# --- batch ----------------------------------------------------------------------------------


def test_batch_decides_undisputed_proposals_only(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, _ = session(make_meeting, sekretaris, invited=3, present=2)
    plain = [
        removal(meeting, register[0], sekretaris, "sudah_mampu"),
        correction(meeting, register[1], sekretaris, {"alamat": "Jl. Lain"}),
        new_family(meeting, sekretaris),
    ]
    disputed = removal(meeting, register[2], sekretaris, "meninggal")
    services.set_disputed(meeting, disputed, True, user=sekretaris)
    voting = removal(meeting, register[3], sekretaris, "ganda")
    services.open_named_vote(meeting, voting, user=sekretaris)
    settled = removal(meeting, register[4], sekretaris, "pindah")
    services.record_tally(meeting, settled, yes=0, no=2, abstain=0, user=sekretaris)
    db.session.commit()

    assert services.decide_batch(meeting, user=sekretaris) == 3
    db.session.commit()
    for proposal in plain:
        proposal = reload(proposal)
        assert (proposal.status, proposal.accepted, proposal.method) == ("decided", True, "batch")
        assert (proposal.voters_present, proposal.decided_by) == (2, sekretaris.id)
    for proposal in (disputed, voting):
        assert (reload(proposal).status, reload(proposal).accepted) == ("open", None)
    settled = reload(settled)
    assert (settled.accepted, settled.method) == (False, "tally")  # not overwritten
    assert audit_count("meeting.decide_batch", proposals=[p.id for p in plain]) == 1

    refused = error_of(services.decide_batch, meeting, user=sekretaris)
    assert refused.message == "Tidak ada usulan tanpa keberatan yang menunggu keputusan."

    # A dispute withdrawn: the item joins the next batch.
    services.set_disputed(meeting, disputed, False, user=sekretaris)
    assert services.decide_batch(meeting, user=sekretaris) == 1
    db.session.commit()
    assert services.count_open(meeting) == 1


def test_batch_needs_the_quorum(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, _ = session(make_meeting, sekretaris, invited=3, present=1)
    removal(meeting, register[0], sekretaris)
    db.session.commit()
    refused = error_of(services.decide_batch, meeting, user=sekretaris)
    assert refused.message == "Kuorum belum tercapai: mufakat tidak dapat dicatat."
    assert services.count_open(meeting) == 1


def test_dispute_refused_on_a_decided_proposal(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, _ = session(make_meeting, sekretaris, invited=3, present=3)
    proposal = removal(meeting, register[0], sekretaris)
    services.decide_by_consensus(meeting, proposal, user=sekretaris)
    db.session.commit()
    refused = error_of(services.set_disputed, meeting, proposal, True, user=sekretaris)
    assert refused.message == "Usulan ini sudah diputuskan."
    assert reload(proposal).disputed is False


# --- summary and decided list ------------------------------------------------------------


@pytest.fixture
def decided_meeting(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> tuple[Meeting, dict[str, Proposal]]:
    """A meeting in session over the FAMILIES families of Pasar Ipuh with every kind of outcome."""
    meeting, _ = session(make_meeting, sekretaris, invited=4, present=4)
    made = {
        "mampu1": removal(meeting, register[0], sekretaris, "sudah_mampu"),
        "mampu2": removal(meeting, register[1], sekretaris, "sudah_mampu"),
        "meninggal": removal(meeting, register[2], sekretaris, "meninggal"),
        "pindah_rejected": removal(meeting, register[3], sekretaris, "pindah"),
        "perbaikan": correction(meeting, register[4], sekretaris, {"alamat": "Jl. Lain"}),
        "perbaikan_open": correction(meeting, register[5], sekretaris, {"rw": "009"}),
        "baru1": new_family(meeting, sekretaris, KK_NEW, [member(NIK_A)]),
        "baru2": new_family(meeting, sekretaris, KK_NEW_2, [member(NIK_B), member(NIK_C)]),
        "baru_rejected": new_family(meeting, sekretaris, "3201010101260003", [member(NIK_D)]),
    }
    for key in ("pindah_rejected", "baru_rejected"):
        services.record_tally(meeting, made[key], yes=1, no=3, abstain=0, user=sekretaris)
    services.set_disputed(meeting, made["perbaikan_open"], True, user=sekretaris)
    services.decide_by_consensus(meeting, made["mampu1"], user=sekretaris)
    services.decide_batch(meeting, user=sekretaris)
    db.session.commit()
    return meeting, made


def test_summary_counts_each_category(decided_meeting) -> None:
    meeting, _ = decided_meeting
    result = services.summary(meeting)
    assert result.families == FAMILIES
    assert (result.proposals, result.decided, result.open) == (9, 8, 1)
    assert result.keluar_by_reason == {"sudah_mampu": 2, "meninggal": 1}
    assert (result.baru, result.perbaikan) == (2, 1)
    # Families without an accepted keluar or perbaikan stay: 8 - 3 - 1.
    assert result.tetap == FAMILIES - 4
    assert result.attendance.present_voters == 4


def test_summary_of_an_empty_meeting(make_meeting: MakeMeeting, register) -> None:
    meeting = make_meeting(states.SCHEDULED)
    result = services.summary(meeting)
    assert (result.families, result.tetap, result.proposals, result.decided, result.open) == (
        FAMILIES,
        FAMILIES,
        0,
        0,
        0,
    )
    assert (result.keluar_by_reason, result.baru, result.perbaikan) == ({}, 0, 0)


def test_decided_list_groups_the_families(decided_meeting, register: list[Household]) -> None:
    meeting, made = decided_meeting
    result = services.decided_list(meeting)
    assert set(result) == {"tetap", "keluar", "baru", "perbaikan"}
    # Rejected or still open proposals leave their family in the register unchanged.
    assert [h.kk for h in result["tetap"]] == sorted(
        h.kk for h in (register[3], register[5], *register[6:])
    )
    assert sorted((h.kk, p.reason) for h, p in result["keluar"]) == sorted(
        [
            (register[0].kk, "sudah_mampu"),
            (register[1].kk, "sudah_mampu"),
            (register[2].kk, "meninggal"),
        ]
    )
    assert [(h.kk, p.id) for h, p in result["perbaikan"]] == [
        (register[4].kk, made["perbaikan"].id)
    ]
    assert [p.details["kk"] for p in result["baru"]] == [KK_NEW, KK_NEW_2]
    assert [len(p.details["members"]) for p in result["baru"]] == [1, 2]
    # Every family of the prelist appears exactly once.
    listed = [h.kk for h in result["tetap"]] + [
        h.kk for key in ("keluar", "perbaikan") for h, _ in result[key]
    ]
    assert sorted(listed) == sorted(h.kk for h in register)


def test_the_meeting_can_be_decided_once_every_proposal_is(
    decided_meeting, sekretaris: User
) -> None:
    meeting, made = decided_meeting
    refused = error_of(services.move, meeting, "decide", user=sekretaris)
    assert refused.message == "Masih ada 1 usulan yang belum diputuskan."
    services.record_tally(meeting, made["perbaikan_open"], yes=3, no=1, abstain=0, user=sekretaris)
    services.move(meeting, "decide", user=sekretaris)
    db.session.commit()
    assert reload(meeting).state == states.DECIDED
    assert services.summary(meeting).perbaikan == 2


# --- the database's own guards ------------------------------------------------------------


def test_database_refuses_a_second_vote_of_one_voter(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    meeting, people = session(make_meeting, sekretaris, invited=2, present=2)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    db.session.add(Vote(proposal_id=proposal.id, participant_id=people[0].id, choice="setuju"))
    db.session.commit()
    db.session.add(
        Vote(proposal_id=proposal.id, participant_id=people[0].id, choice="tidak_setuju")
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert count(Vote) == 1
    # Another voter on the same item, or the same voter on another item, is fine.
    other = removal(meeting, register[1], sekretaris)
    db.session.add(Vote(proposal_id=proposal.id, participant_id=people[1].id, choice="setuju"))
    db.session.add(Vote(proposal_id=other.id, participant_id=people[0].id, choice="setuju"))
    db.session.commit()
    assert count(Vote) == 3


def test_cast_vote_survives_a_concurrent_first_vote(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    """Two taps of the same voter at once: the second's update finds no row, its insert then
    meets the first's row. It changes that vote instead of failing or adding a second one."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("injects SQLite SQL; tests/meetings/test_concurrency.py races real threads")
    meeting, people = session(make_meeting, sekretaris, invited=2, present=2)
    proposal = removal(meeting, register[0], sekretaris)
    services.open_named_vote(meeting, proposal, user=sekretaris)
    db.session.commit()
    voter = people[0]
    fired: list[bool] = []

    def other_request(_conn, cursor, statement, _params, _context, _many) -> None:
        if statement.lstrip().upper().startswith("UPDATE VOTES") and not fired:
            fired.append(True)
            cursor.connection.execute(
                "INSERT INTO votes (proposal_id, participant_id, choice, created_at, updated_at)"
                " VALUES (?, ?, 'setuju', ?, ?)",
                (proposal.id, voter.id, utcnow().isoformat(), utcnow().isoformat()),
            )

    event.listen(db.engine, "after_cursor_execute", other_request)
    try:
        services.cast_vote(meeting, proposal, voter, "tidak_setuju", user=sekretaris)
        db.session.commit()
    finally:
        event.remove(db.engine, "after_cursor_execute", other_request)
    assert fired
    votes = list(db.session.execute(select(Vote)).scalars())
    assert [(v.participant_id, v.choice) for v in votes] == [(voter.id, "tidak_setuju")]


def test_refusals_change_nothing(
    make_meeting: MakeMeeting, sekretaris: User, register: list[Household]
) -> None:
    """A handful of refusals in a row: no row and no audit entry appears."""
    meeting, people = session(make_meeting, sekretaris, invited=3, present=1)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    before = all_counts()
    for call, args, kwargs in (
        (services.decide_by_consensus, (meeting, proposal), {}),
        (services.decide_batch, (meeting,), {}),
        (services.record_tally, (meeting, proposal), {"yes": 2, "no": 0, "abstain": 0}),
        (services.cast_vote, (meeting, proposal, people[0], "setuju"), {}),
        (services.remove_participant, (meeting, people[0]), {}),
        (services.move, (meeting, "decide"), {}),
        (removal, (meeting, register[0], sekretaris), {}),
    ):
        user = {} if call is removal else {"user": sekretaris}
        error_of(call, *args, **kwargs, **user)
        assert all_counts() == before, call.__name__
    assert reload(proposal).status == "open"
