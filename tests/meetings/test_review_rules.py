"""Rules tightened after review: recusal covers members a correction would add, proposers are
checked, a participant's NIK must have possible birth-date digits, invitations close in session."""

from __future__ import annotations

import pytest

from portal.blueprints.meetings import services, states
from portal.extensions import db
from portal.refusal import Refused
from tests.meetings.conftest import invite
from tests.meetings.test_services import session

NEW_MEMBER = "1706054101250001"


def test_a_member_a_correction_would_add_is_recused(make_meeting, sekretaris, register):
    meeting, _ = session(make_meeting, sekretaris, invited=3, present=3)
    family = register[0]
    meeting.state = states.SCHEDULED
    relative = invite(meeting, "Calon Anggota", nik=NEW_MEMBER, user=sekretaris)
    meeting.state = states.IN_SESSION
    services.check_in(meeting, relative, user=sekretaris)
    proposal = services.add_correction(
        meeting,
        family,
        changes={},
        remove_members=[],
        proposer="warga",
        proposer_name=None,
        note=None,
        user=sekretaris,
        add_members=[{"nik": NEW_MEMBER, "name": "Calon Anggota", "relation": "ANAK"}],
    )
    db.session.commit()
    assert relative.id in services.recused_ids(meeting, proposal)
    assert len(services.eligible_voters(meeting, proposal)) == 3
    with pytest.raises(Refused, match="melebihi"):
        services.record_tally(meeting, proposal, yes=4, no=0, abstain=0, user=sekretaris)


def test_unknown_proposer_is_refused(make_meeting, sekretaris, register):
    meeting = make_meeting(states.SCHEDULED)
    with pytest.raises(Refused, match="siapa yang mengusulkan"):
        services.add_removal(
            meeting,
            register[0],
            reason="pindah",
            reason_text=None,
            proposer="tetangga",
            proposer_name=None,
            note=None,
            user=sekretaris,
        )


def test_participant_nik_with_impossible_birth_digits_is_refused(make_meeting, sekretaris):
    meeting = make_meeting(states.DRAFT)
    with pytest.raises(Refused, match="Tanggal lahir dalam NIK"):
        services.add_participant(
            meeting,
            services.ParticipantData(name="X", unsur="rt_rw", nik="1706059901250001"),
            user=sekretaris,
        )


def test_invitations_close_when_the_session_opens(make_meeting, sekretaris):
    meeting = make_meeting(states.IN_SESSION)
    with pytest.raises(Refused, match="Daftar undangan tidak dapat diubah"):
        services.add_participant(
            meeting, services.ParticipantData(name="X", unsur="rt_rw"), user=sekretaris
        )
    walk_in = services.add_participant(
        meeting, services.ParticipantData(name="Y", unsur="rt_rw"), user=sekretaris, walk_in=True
    )
    assert walk_in.present and walk_in.walk_in


def test_a_named_vote_cannot_be_overridden_by_batch_tally_or_consensus(
    make_meeting, sekretaris, register
):
    from tests.meetings.test_services import removal

    meeting, people = session(make_meeting, sekretaris, invited=3, present=3)
    proposal = removal(meeting, register[0], sekretaris)
    services.open_named_vote(meeting, proposal, user=sekretaris)
    for person in people:
        services.cast_vote(meeting, proposal, person, "tidak_setuju", user=sekretaris)
    db.session.commit()
    for attempt in (
        lambda: services.set_disputed(meeting, proposal, False, user=sekretaris),
        lambda: services.record_tally(meeting, proposal, yes=3, no=0, abstain=0, user=sekretaris),
        lambda: services.decide_by_consensus(meeting, proposal, user=sekretaris),
    ):
        with pytest.raises(Refused, match="Pemungutan suara bernama sedang berjalan"):
            attempt()
    with pytest.raises(Refused, match="Tidak ada usulan tanpa keberatan"):
        services.decide_batch(meeting, user=sekretaris)
    services.close_named_vote(meeting, proposal, user=sekretaris)
    db.session.commit()
    assert proposal.accepted is False and proposal.votes_no == 3


def test_without_quorum_no_vote_counts_and_the_meeting_cannot_be_decided(
    make_meeting, sekretaris, register
):
    from tests.meetings.test_services import removal

    meeting, _ = session(make_meeting, sekretaris, invited=30, present=1)
    proposal = removal(meeting, register[0], sekretaris)
    db.session.commit()
    with pytest.raises(Refused, match="Kuorum belum tercapai"):
        services.record_tally(meeting, proposal, yes=1, no=0, abstain=0, user=sekretaris)
    services.withdraw_proposal(meeting, proposal, user=sekretaris)
    with pytest.raises(Refused, match="Kuorum belum tercapai"):
        services.move(meeting, "decide", user=sekretaris)
    assert meeting.state == states.IN_SESSION
