"""Issue 15, items 4 and 5: an objection means no consensus; mistakes are put right before the
lock (the batch decision asks first, one decision reopened with a reason, walk-ins corrected or
removed before a decision counted them, nobody walks in twice).

Each test reads what the secretary sees or what the database holds."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from portal.blueprints.meetings import services
from portal.blueprints.meetings.models import (
    Participant,
    Proposal,
    ProposalCorrection,
    Vote,
)
from portal.blueprints.meetings.services import reopening, walk_ins
from portal.extensions import db
from tests.factories import Auth
from tests.meetings.conftest import audit_count, count, invite, reload
from tests.meetings.test_services import NIK_A, NIK_B, error_of, removal, session

HX = {"HX-Request": "true"}
OBJECTION = (
    "Ada keberatan atas usulan ini: mufakat tidak tercapai. Putuskan dengan pemungutan suara "
    "(hitungan suara atau suara bernama)."
)


@pytest.fixture
def running(make_meeting, sekretaris, register):
    """In session: 3 invited voters, all present; 3 open removal proposals."""
    meeting, people = session(make_meeting, sekretaris, invited=3, present=3)
    items = [removal(meeting, family, sekretaris) for family in register[:3]]
    db.session.commit()
    return meeting, people, items


@pytest.fixture
def web(client, running, sekretaris):
    Auth(client).login_as(sekretaris)
    return running


# --- 4. an objection means no consensus -----------------------------------------------------


def test_an_objection_refuses_consensus_and_is_decided_by_a_vote(running, sekretaris):
    meeting, _, (item, *_rest) = running
    services.set_disputed(meeting, item, True, user=sekretaris)
    db.session.commit()

    assert error_of(services.decide_by_consensus, meeting, item, user=sekretaris).message == (
        OBJECTION
    )
    assert reload(item).status == "open"

    item = reload(item)
    meeting = reload(meeting)
    services.record_tally(meeting, item, yes=2, no=1, abstain=0, user=sekretaris)
    db.session.commit()
    decided = reload(item)
    # The objection stays on the decided proposal: the berita acara lists it.
    assert (decided.status, decided.accepted, decided.method, decided.disputed) == (
        "decided",
        True,
        "tally",
        True,
    )


def test_a_named_vote_on_an_objection_keeps_it_after_the_decision(running, sekretaris):
    meeting, people, (item, *_rest) = running
    services.set_disputed(meeting, item, True, user=sekretaris)
    services.open_named_vote(meeting, item, user=sekretaris)
    for person in people:
        services.cast_vote(meeting, item, person, "tidak_setuju", user=sekretaris)
    services.close_named_vote(meeting, item, user=sekretaris)
    db.session.commit()
    decided = reload(item)
    assert (decided.status, decided.accepted, decided.method, decided.disputed) == (
        "decided",
        False,
        "named",
        True,
    )


def test_the_page_offers_no_consensus_for_an_objection(client, web):
    meeting, _, (item, other, _third) = web
    base = f"/musyawarah/{meeting.id}"
    client.post(f"{base}/usulan/{item.id}/keberatan", data={"keberatan": "1"})
    page = client.get(f"{base}/usulan").get_data(as_text=True)
    assert f"{base}/usulan/{item.id}/mufakat" not in page
    assert f"{base}/usulan/{other.id}/mufakat" in page
    assert "Ada keberatan: mufakat tidak tercapai" in page

    # Posted anyway (an old page): refused with words, the proposal still open.
    page = client.post(f"{base}/usulan/{item.id}/mufakat", follow_redirects=True)
    assert OBJECTION in page.get_data(as_text=True)
    assert db.session.get(Proposal, item.id).status == "open"
    fragment = client.post(f"{base}/usulan/{item.id}/mufakat", headers=HX)
    assert OBJECTION in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)


# --- 5a. the batch decision asks first ------------------------------------------------------


def _statuses(meeting) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(Proposal.status).where(Proposal.meeting_id == meeting.id).order_by(Proposal.id)
        ).scalars()
    )


def test_the_batch_decision_asks_first_with_the_number_of_families(client, web):
    meeting, _, (item, _second, _third) = web
    base = f"/musyawarah/{meeting.id}"
    client.post(f"{base}/usulan/{item.id}/keberatan", data={"keberatan": "1"})

    # One tap (the old form) decides nothing: it leads to the question.
    response = client.post(f"{base}/putuskan-sekaligus")
    assert response.status_code == 302
    assert response.location.endswith(f"{base}/putuskan-sekaligus")
    assert _statuses(meeting) == ["open", "open", "open"]

    page = client.get(f"{base}/putuskan-sekaligus").get_data(as_text=True)
    assert "Keputusan ini menetapkan 2 keluarga sekaligus." in page
    assert 'name="confirm" value="1"' in page and 'name="jumlah" value="2"' in page
    assert _statuses(meeting) == ["open", "open", "open"]

    # Confirmed for another number (the list changed meanwhile): refused.
    page = client.post(
        f"{base}/putuskan-sekaligus", data={"confirm": "1", "jumlah": "3"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Daftar usulan berubah sejak dikonfirmasi (3, sekarang 2)" in page
    assert _statuses(meeting) == ["open", "open", "open"]

    page = client.post(
        f"{base}/putuskan-sekaligus", data={"confirm": "1", "jumlah": "2"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "2 usulan tanpa keberatan diputuskan secara mufakat." in page
    assert _statuses(meeting) == ["open", "decided", "decided"]


def test_the_proposals_page_links_to_the_question_not_a_one_tap_form(client, web):
    meeting = web[0]
    page = client.get(f"/musyawarah/{meeting.id}/usulan").get_data(as_text=True)
    assert f'action="/musyawarah/{meeting.id}/putuskan-sekaligus"' not in page
    assert f'href="/musyawarah/{meeting.id}/putuskan-sekaligus"' in page


# --- 5b. one decision reopened with a reason ------------------------------------------------


def _decide_named(meeting, item, people, user, choice="setuju"):
    services.open_named_vote(meeting, item, user=user)
    for person in people:
        services.cast_vote(meeting, item, person, choice, user=user)
    services.close_named_vote(meeting, item, user=user)
    db.session.commit()


def test_a_decision_is_reopened_with_a_reason_and_kept_as_a_correction(running, sekretaris):
    meeting, people, (item, *_rest) = running
    _decide_named(meeting, item, people, sekretaris)
    assert count(Vote, Vote.proposal_id == item.id) == 3

    refused = error_of(reopening.reopen_decision, meeting, item, reason="  ", user=sekretaris)
    assert refused.message == "Tuliskan alasan membuka kembali keputusan ini."

    item, meeting = reload(item), reload(meeting)
    reopening.reopen_decision(meeting, item, reason="Suara Pak RT tercatat keliru", user=sekretaris)
    db.session.commit()

    reopened = reload(item)
    assert (reopened.status, reopened.accepted, reopened.method, reopened.vote_mode) == (
        "open",
        None,
        None,
        None,
    )
    assert (reopened.votes_yes, reopened.votes_no, reopened.votes_abstain) == (0, 0, 0)
    assert reopened.voters_present is None and reopened.decided_at is None
    assert reopened.disputed is True  # the named vote recorded an objection; it stays
    assert count(Vote, Vote.proposal_id == item.id) == 0

    [fix] = services.corrections(reload(meeting))
    assert fix.proposal_id == item.id and fix.created_by == sekretaris.id
    assert fix.reason == "Suara Pak RT tercatat keliru"
    assert fix.author.full_name == sekretaris.full_name and fix.created_at is not None
    assert fix.earlier["accepted"] is True and fix.earlier["method"] == "named"
    assert (fix.earlier["votes_yes"], fix.earlier["voters_present"]) == (3, 3)
    assert [v["choice"] for v in fix.earlier["named_votes"]] == ["setuju"] * 3
    assert reopening.earlier_text(fix.earlier) == (
        "diterima (suara: 3 setuju, 0 tidak setuju, 0 abstain dari 3 pemilih hadir)"
    )
    assert audit_count("meeting.decision_reopen", proposal=item.id) == 1

    # Decided again, by a vote (the objection stands); a reopened proposal is not withdrawn.
    item, meeting = reload(item), reload(meeting)
    refused = error_of(services.withdraw_proposal, meeting, item, user=sekretaris)
    assert refused.message == "Usulan yang keputusannya pernah dikoreksi tidak dapat ditarik."
    item, meeting = reload(item), reload(meeting)
    services.record_tally(meeting, item, yes=0, no=3, abstain=0, user=sekretaris)
    db.session.commit()
    assert (reload(item).status, reload(item).accepted) == ("decided", False)


def test_reopening_a_decision_only_while_in_session_also_after_buka_kembali(running, sekretaris):
    meeting, _, items = running
    services.decide_batch(meeting, user=sekretaris)
    services.move(meeting, "decide", user=sekretaris)
    db.session.commit()
    item = reload(items[0])
    refused = error_of(
        reopening.reopen_decision, reload(meeting), item, reason="x", user=sekretaris
    )
    assert refused.message == "Keputusan tidak dapat diubah: musyawarah berstatus diputuskan."

    meeting = reload(meeting)
    services.move(meeting, "reopen", user=sekretaris)  # "Buka kembali"
    db.session.commit()
    meeting, item = reload(meeting), reload(items[0])
    reopening.reopen_decision(meeting, item, reason="Salah keluarga", user=sekretaris)
    db.session.commit()
    assert reload(item).status == "open"
    assert reopening.earlier_text(services.corrections(reload(meeting))[0].earlier) == (
        "diterima (mufakat)"
    )

    # An open proposal has nothing to reopen.
    refused = error_of(
        reopening.reopen_decision, reload(meeting), reload(item), reason="x", user=sekretaris
    )
    assert refused.message == "Usulan ini belum diputuskan."


def test_a_sealed_meetings_corrections_are_refused_by_the_service_and_the_database(
    running, sekretaris
):
    meeting, _, items = running
    services.decide_batch(meeting, user=sekretaris)
    db.session.commit()
    reopening.reopen_decision(meeting, items[0], reason="Keliru", user=sekretaris)
    services.decide_by_consensus(reload(meeting), reload(items[0]), user=sekretaris)
    db.session.commit()
    db.session.execute(
        text("UPDATE meetings SET state = 'locked' WHERE id = :id"), {"id": meeting.id}
    )
    db.session.commit()

    refused = error_of(
        reopening.reopen_decision, reload(meeting), reload(items[1]), reason="x", user=sekretaris
    )
    assert refused.message == "Keputusan tidak dapat diubah: musyawarah berstatus dikunci."
    for statement in (
        "UPDATE proposal_corrections SET reason = 'diubah'",
        "DELETE FROM proposal_corrections",
        "INSERT INTO proposal_corrections (meeting_id, proposal_id, reason, earlier, "
        f"created_by, created_at) VALUES ({meeting.id}, {items[1].id}, 'x', '{{}}', "
        f"{sekretaris.id}, CURRENT_TIMESTAMP)",
    ):
        with pytest.raises(DatabaseError, match="sudah dikunci"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert [c.reason for c in services.corrections(reload(meeting))] == ["Keliru"]


def test_reopen_through_the_web_with_and_without_htmx(client, web):
    meeting, _, (first, second, _third) = web
    base = f"/musyawarah/{meeting.id}"
    client.post(f"{base}/usulan/{first.id}/mufakat")
    client.post(f"{base}/usulan/{second.id}/mufakat")
    page = client.get(f"{base}/usulan").get_data(as_text=True)
    assert f'action="{base}/usulan/{first.id}/koreksi"' in page

    fragment = client.post(
        f"{base}/usulan/{first.id}/koreksi", data={"alasan": "Keliru tekan"}, headers=HX
    ).get_data(as_text=True)
    assert "<html" not in fragment and f'id="usulan-{first.id}"' in fragment
    assert f"{base}/usulan/{first.id}/mufakat" in fragment  # open again, decidable

    refused = client.post(
        f"{base}/usulan/{second.id}/koreksi", data={"alasan": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Tuliskan alasan membuka kembali keputusan ini." in refused
    assert db.session.get(Proposal, second.id).status == "decided"

    response = client.post(f"{base}/usulan/{second.id}/koreksi", data={"alasan": "Salah baris"})
    assert response.status_code == 302
    page = client.get(f"{base}/usulan").get_data(as_text=True)
    assert "Koreksi keputusan" in page and "Salah baris" in page and "Keliru tekan" in page
    assert count(ProposalCorrection, ProposalCorrection.meeting_id == meeting.id) == 2


# --- 5c. walk-ins -------------------------------------------------------------------------


def test_the_same_person_does_not_walk_in_twice(running, sekretaris):
    meeting = running[0]
    invite(meeting, "Budi Santoso", user=sekretaris, walk_in=True)
    invite(meeting, "Siti", user=sekretaris, walk_in=True, nik=NIK_B)
    db.session.commit()

    refused = error_of(invite, reload(meeting), "  budi   SANTOSO. ", user=sekretaris, walk_in=True)
    assert refused.message == (
        "Budi Santoso sudah ada di daftar peserta. Orang yang sama tidak didaftarkan dua kali; "
        "jika orang yang berbeda, isi NIK-nya."
    )
    refused = error_of(
        invite, reload(meeting), "Siti Aminah", user=sekretaris, walk_in=True, nik=NIK_B
    )
    assert refused.message.startswith("NIK ini sudah ada di daftar peserta (Siti)")
    # An invitee walks in as a walk-in: refused too (check them in instead).
    refused = error_of(invite, reload(meeting), "peserta 1", user=sekretaris, walk_in=True)
    assert refused.message.startswith("Peserta 1 sudah ada di daftar peserta.")
    # Another person of the same name, told apart by a NIK, is welcome.
    invite(reload(meeting), "Budi Santoso", user=sekretaris, walk_in=True, nik=NIK_A)
    db.session.commit()
    assert count(Participant, Participant.meeting_id == meeting.id, Participant.walk_in) == 3


def test_the_database_refuses_the_same_nik_twice_in_a_meeting(running, sekretaris):
    from sqlalchemy.exc import IntegrityError

    meeting = running[0]
    invite(meeting, "Siti", user=sekretaris, walk_in=True, nik=NIK_B)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.add(
            Participant(meeting_id=meeting.id, name="Lain", unsur="rt_rw", nik=NIK_B, walk_in=True)
        )
        db.session.flush()
    db.session.rollback()


def test_a_walk_in_is_corrected_or_removed_until_a_decision_counts_them(running, sekretaris):
    meeting, _, (first, second, _third) = running
    # A decision taken before the walk-in came did not count them.
    services.decide_by_consensus(meeting, first, user=sekretaris)
    db.session.commit()
    walker = invite(reload(meeting), "Budi", user=sekretaris, walk_in=True)
    listener = invite(reload(meeting), "Tamu", user=sekretaris, walk_in=True, votes=False)
    db.session.commit()

    walk_ins.correct_walk_in(
        reload(meeting),
        reload(walker),
        services.ParticipantData(name="Budiman", unsur="tokoh_agama", nik=NIK_A),
        user=sekretaris,
    )
    db.session.commit()
    fixed = reload(walker)
    assert (fixed.name, fixed.unsur, fixed.nik, fixed.walk_in, fixed.present) == (
        "Budiman",
        "tokoh_agama",
        NIK_A,
        True,
        True,
    )
    assert audit_count("meeting.walk_in_correct", participant=walker.id) == 1

    # A decision now counts the walk-in among the voters present: no more changes.
    services.decide_by_consensus(reload(meeting), reload(second), user=sekretaris)
    db.session.commit()
    assert reload(second).voters_present == 4
    refused = error_of(
        walk_ins.correct_walk_in,
        reload(meeting),
        reload(walker),
        services.ParticipantData(name="Budi", unsur="rt_rw"),
        user=sekretaris,
    )
    assert refused.message.startswith("Budiman sudah terhitung dalam keputusan yang dicatat")
    refused = error_of(walk_ins.remove_walk_in, reload(meeting), reload(walker), user=sekretaris)
    assert refused.message.startswith("Budiman sudah terhitung")
    assert reload(walker).name == "Budiman"

    # A walk-in without a vote was counted by no decision; an invitee is not a walk-in.
    walk_ins.remove_walk_in(reload(meeting), reload(listener), user=sekretaris)
    db.session.commit()
    assert db.session.get(Participant, listener.id) is None
    invitee = reload(meeting).participants[0]
    refused = error_of(walk_ins.remove_walk_in, reload(meeting), invitee, user=sekretaris)
    assert refused.message == "Hanya peserta tambahan yang dapat diubah di sini."

    # That decision reopened (its count cleared): the walk-in can be removed again.
    reopening.reopen_decision(reload(meeting), reload(second), reason="Salah", user=sekretaris)
    db.session.commit()
    walk_ins.remove_walk_in(reload(meeting), reload(walker), user=sekretaris)
    db.session.commit()
    assert db.session.get(Participant, walker.id) is None
    assert audit_count("meeting.walk_in_remove", participant=walker.id) == 1


def test_a_walk_in_who_cast_a_named_vote_stays(running, sekretaris):
    meeting, _, (item, *_rest) = running
    walker = invite(meeting, "Budi", user=sekretaris, walk_in=True)
    services.open_named_vote(meeting, item, user=sekretaris)
    services.cast_vote(meeting, item, walker, "setuju", user=sekretaris)
    db.session.commit()
    refused = error_of(walk_ins.remove_walk_in, reload(meeting), reload(walker), user=sekretaris)
    assert refused.message.startswith("Budi sudah terhitung")


def test_a_walk_in_corrected_through_the_web(client, web, sekretaris):
    meeting = web[0]
    walker = invite(meeting, "Budi", user=sekretaris, walk_in=True)
    invite(meeting, "Siti", user=sekretaris, walk_in=True)
    db.session.commit()
    base = f"/musyawarah/{meeting.id}/peserta"
    page = client.get(base).get_data(as_text=True)
    assert f'href="{base}/{walker.id}/ubah"' in page

    form = client.get(f"{base}/{walker.id}/ubah").get_data(as_text=True)
    assert 'value="Budi"' in form
    page = client.post(
        f"{base}/{walker.id}/ubah", data={"name": "siti", "unsur": "rt_rw"}
    ).get_data(as_text=True)
    assert "Siti sudah ada di daftar peserta." in page
    response = client.post(f"{base}/{walker.id}/ubah", data={"name": "Budi S.", "unsur": "pkk"})
    assert response.status_code == 302
    assert (db.session.get(Participant, walker.id).name, reload(walker).unsur) == ("Budi S.", "pkk")

    response = client.post(f"{base}/{walker.id}/hapus-tambahan", follow_redirects=True)
    assert "Peserta tambahan dihapus dari daftar hadir." in response.get_data(as_text=True)
    assert db.session.get(Participant, walker.id) is None


def test_a_reopened_decision_frees_its_family_until_decided_again(running, sekretaris):
    from portal.blueprints.meetings.models import DecisionClaim

    meeting, _, (item, *_rest) = running
    services.decide_by_consensus(meeting, item, user=sekretaris)
    db.session.commit()
    claimed = select(DecisionClaim.household_id).where(DecisionClaim.meeting_id == meeting.id)
    assert db.session.scalars(claimed).all() == [item.household_id]

    reopening.reopen_decision(reload(meeting), reload(item), reason="Keliru", user=sekretaris)
    db.session.commit()
    assert db.session.scalars(claimed).all() == []

    services.decide_by_consensus(reload(meeting), reload(item), user=sekretaris)
    db.session.commit()
    assert db.session.scalars(claimed).all() == [item.household_id]


@pytest.mark.parametrize("jumlah", ["²", "9" * 5000, "-1", "3 "])
def test_a_crafted_batch_count_is_sent_to_the_confirmation(client, web, jumlah):
    meeting = web[0]
    response = client.post(
        f"/musyawarah/{meeting.id}/putuskan-sekaligus", data={"confirm": "1", "jumlah": jumlah}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/musyawarah/{meeting.id}/putuskan-sekaligus")
    assert count(Proposal, Proposal.meeting_id == meeting.id, Proposal.status == "open") == 3
