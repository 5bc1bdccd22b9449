"""Issue 15, the meeting side: opened on its real day, one decision per family per period,
signatories from the participants, one berita acara number per village and year."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEntry
from portal.blueprints.meetings import services, states
from portal.blueprints.meetings.models import DecisionClaim, Meeting
from portal.blueprints.meetings.services import moves
from portal.extensions import db
from portal.refusal import Refused
from portal.timeutil import as_utc, local_date
from tests.meetings.conftest import everyone_present, invite, meeting_data, moves_of, reload

WIB_VILLAGE = "1706052006"  # Pasar Ipuh, Bengkulu


def open_error(meeting: Meeting, user, **kwargs) -> str:
    with pytest.raises(Refused) as refused:
        services.move(meeting, "open", user=user, **kwargs)
    db.session.rollback()
    return refused.value.message


# --- A. opening on another day than scheduled ------------------------------------------------


def test_opening_before_the_scheduled_day_needs_the_secretarys_confirmation(
    make_meeting, sekretaris
):
    meeting = make_meeting(states.SCHEDULED, voters=2, meeting_date=date(2026, 12, 17))
    moment = datetime(2026, 12, 3, 2, 15, tzinfo=UTC)  # 09:15 WIB, 3 December
    with time_machine.travel(moment, tick=False):
        message = open_error(meeting, sekretaris)
        assert "17 Desember 2026" in message and "3 Desember 2026" in message
        assert reload(meeting).state == states.SCHEDULED

        meeting = reload(meeting)
        services.move(meeting, "open", user=sekretaris, confirm_other_day=True)
        db.session.commit()
    meeting = reload(meeting)
    assert meeting.state == states.IN_SESSION
    assert as_utc(meeting.opened_at) == moment  # the server's time, not the schedule
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "meeting.open")
    ).scalar_one()
    assert entry.details["scheduled"] == "2026-12-17"
    assert entry.details["held"] == "2026-12-03"
    assert entry.details["note"] == "dijadwalkan 17 Desember 2026, dilaksanakan 3 Desember 2026"
    assert "dijadwalkan 17 Desember 2026" in moves_of(meeting)[-1].note


@pytest.mark.parametrize(
    ("moment", "scheduled", "same_day"),
    [
        # 23:30 WIB on 31 December is 16:30 UTC: still 31 December in the village.
        (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), date(2026, 12, 31), True),
        (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), date(2027, 1, 1), False),
        # 00:30 WIB on 1 January is 17:30 UTC on 31 December: the village's date counts.
        (datetime(2026, 12, 31, 17, 30, tzinfo=UTC), date(2027, 1, 1), True),
        (datetime(2026, 12, 31, 17, 30, tzinfo=UTC), date(2026, 12, 31), False),
        # 29 February of a leap year, and the day after.
        (datetime(2028, 2, 29, 3, 0, tzinfo=UTC), date(2028, 2, 29), True),
        (datetime(2028, 2, 29, 3, 0, tzinfo=UTC), date(2028, 3, 1), False),
        (datetime(2028, 2, 29, 18, 0, tzinfo=UTC), date(2028, 3, 1), True),
    ],
)
def test_the_day_is_the_villages_local_day(moment, scheduled, same_day, make_meeting, sekretaris):
    meeting = make_meeting(states.SCHEDULED, voters=1, meeting_date=scheduled)
    with time_machine.travel(moment, tick=False):
        if same_day:
            services.move(meeting, "open", user=sekretaris)
            assert meeting.state == states.IN_SESSION
        else:
            assert "Centang konfirmasi" in open_error(meeting, sekretaris)


def test_local_date_by_zone():
    moment = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert local_date(moment, WIB_VILLAGE) == date(2026, 12, 31)  # 23:30 WIB
    assert local_date(moment, "7371011001") == date(2027, 1, 1)  # 00:30 WITA (Makassar)
    assert local_date(moment, "9171011001") == date(2027, 1, 1)  # 01:30 WIT (Jayapura)


def test_the_page_asks_and_the_form_confirms(client, auth, make_meeting, sekretaris):
    meeting = make_meeting(states.SCHEDULED, voters=2, meeting_date=date(2026, 12, 17))
    url = f"/musyawarah/{meeting.id}"
    with time_machine.travel(datetime(2026, 12, 3, 2, 0, tzinfo=UTC), tick=True):
        auth.login_as(sekretaris)
        page = client.get(url).get_data(as_text=True)
        assert 'name="confirm_other_day"' in page and "17 Desember 2026" in page

        page = client.post(f"{url}/langkah/open", follow_redirects=True).get_data(as_text=True)
        assert "dijadwalkan 17 Desember 2026, tetapi hari ini 3 Desember 2026" in page
        assert reload(meeting).state == states.SCHEDULED

        page = client.post(
            f"{url}/langkah/open", data={"confirm_other_day": "1"}, follow_redirects=True
        ).get_data(as_text=True)
    assert "sedang berlangsung" in page
    assert reload(meeting).state == states.IN_SESSION


def test_on_the_scheduled_day_no_question_is_asked(client, auth, make_meeting, sekretaris):
    meeting = make_meeting(states.SCHEDULED, voters=1)  # the day the tests run on
    auth.login_as(sekretaris)
    assert 'name="confirm_other_day"' not in client.get(f"/musyawarah/{meeting.id}").text


# --- B. one decision per family per period ---------------------------------------------------


def decided_meeting(make_meeting, user, removed, *, period="2026-11"):
    """A meeting of the period that removed `removed` (by consensus), then decided."""
    meeting = make_meeting(states.IN_SESSION, voters=2, period=period)
    everyone_present(meeting)
    for household in removed:
        proposal = services.add_removal(
            meeting,
            household,
            reason="pindah",
            reason_text=None,
            proposer="rt_rw",
            proposer_name=None,
            note=None,
            user=user,
        )
        services.decide_by_consensus(meeting, proposal, user=user)
    services.move(meeting, "decide", user=user)
    db.session.commit()
    return meeting


def remove(meeting, household, user):
    return services.add_removal(
        meeting,
        household,
        reason="sudah_mampu",
        reason_text=None,
        proposer="rt_rw",
        proposer_name=None,
        note=None,
        user=user,
    )


def test_a_second_meeting_does_not_list_as_tetap_what_the_first_removed(
    make_meeting, sekretaris, register
):
    first = decided_meeting(make_meeting, sekretaris, register[:3])
    second = make_meeting(states.IN_SESSION, voters=2)
    everyone_present(second)
    db.session.commit()
    # While the first is only decided (it may still be reopened), the second may not decide:
    # it would keep as tetap what the first removes. The message names the first.
    with pytest.raises(Refused) as refused:
        services.move(second, "decide", user=sekretaris)
    assert first.number in refused.value.message
    db.session.rollback()

    # Once the first is locked, its removals move the second's prelist forward.
    db.session.execute(
        text("UPDATE meetings SET state = 'locked' WHERE id = :id"), {"id": first.id}
    )
    db.session.commit()
    second = reload(second)
    on_list = set(db.session.execute(services.prelist(second)).scalars())
    assert on_list == set(register[3:])
    assert services.summary(second).tetap == len(register) - 3
    services.move(second, "decide", user=sekretaris)
    db.session.commit()
    tetap = {h.id for h in services.decided_list(reload(second))["tetap"]}
    assert not tetap & {h.id for h in register[:3]}
    # The first meeting's own list still holds the families it decided.
    assert {h for h, _p in services.decided_list(reload(first))["keluar"]} == set(register[:3])


def test_proposing_a_family_decided_in_another_live_meeting_is_refused(
    make_meeting, sekretaris, register
):
    first = decided_meeting(make_meeting, sekretaris, register[:1])
    second = make_meeting(states.SCHEDULED)
    with pytest.raises(Refused) as refused:
        remove(second, register[0], sekretaris)
    assert first.number in refused.value.message
    assert "20 November 2026" in refused.value.message


def test_the_database_holds_one_claim_per_family_and_period(make_meeting, sekretaris, register):
    first = decided_meeting(make_meeting, sekretaris, register[:1])
    claim = db.session.execute(select(DecisionClaim)).scalar_one()
    assert (claim.meeting_id, claim.household_id, claim.period) == (
        first.id,
        register[0].id,
        "2026-11",
    )
    second = make_meeting(states.SCHEDULED)
    db.session.add(
        DecisionClaim(
            village_code=claim.village_code,
            period="2026-11",
            household_id=register[0].id,
            meeting_id=second.id,
            proposal_id=claim.proposal_id,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_deciding_a_family_another_meeting_decided_meanwhile_is_refused(
    make_meeting, sekretaris, register
):
    later = make_meeting(states.SCHEDULED, voters=1)
    waiting = remove(later, register[0], sekretaris)  # proposed before anyone decided it
    db.session.commit()
    first = decided_meeting(make_meeting, sekretaris, register[:1])
    services.move(first, "lock", user=sekretaris, by_owner=True)
    db.session.commit()
    later.state = states.IN_SESSION
    everyone_present(later)
    with pytest.raises(Refused) as refused:
        services.decide_by_consensus(later, waiting, user=sekretaris)
    assert first.number in refused.value.message
    db.session.rollback()


def test_another_period_is_free(make_meeting, sekretaris, register):
    decided_meeting(make_meeting, sekretaris, register[:1])
    december = make_meeting(states.SCHEDULED, period="2026-12")
    assert remove(december, register[1], sekretaris).household_id == register[1].id


def test_a_returned_meeting_frees_its_families(make_meeting, sekretaris, users, register):
    first = decided_meeting(make_meeting, sekretaris, register[:1])
    services.move(first, "lock", user=sekretaris, by_owner=True)
    services.move(first, "return", user=users["camat"], note="Ulangi", by_owner=True)
    db.session.commit()
    # The returned meeting's claim stays with its sealed rows but no longer counts...
    assert services.claims_elsewhere(make_meeting(states.SCHEDULED), [register[0].id]) == {}
    second = make_meeting(states.IN_SESSION, voters=2)
    everyone_present(second)
    assert register[0] in set(db.session.execute(services.prelist(second)).scalars())
    proposal = remove(second, register[0], sekretaris)
    assert proposal.household_id == register[0].id
    # ... and the meeting that decides the family again takes it over.
    services.decide_by_consensus(second, proposal, user=sekretaris)
    db.session.commit()
    claim = db.session.execute(select(DecisionClaim)).scalar_one()
    assert (claim.meeting_id, claim.household_id) == (second.id, register[0].id)


def test_a_meeting_contradicting_another_of_its_period_is_not_decided(
    make_meeting, sekretaris, register
):
    # One meeting decided first, listing every family as tetap; another of the same period
    # removes one of them: it cannot be decided, the message names the first.
    listing_all = decided_meeting(make_meeting, sekretaris, [])
    with pytest.raises(Refused) as refused:
        decided_meeting(make_meeting, sekretaris, register[:1])
    assert listing_all.number in refused.value.message


def test_the_camat_sees_a_family_decided_otherwise_in_another_meeting(
    make_meeting, sekretaris, register, monkeypatch
):
    # Records made before the rule (migration 0007 keeps them): the second meeting was decided
    # first, listing every family as tetap; then the first (same period) removed one of them.
    listing_all = decided_meeting(make_meeting, sekretaris, [])
    monkeypatch.setattr(moves, "refuse_decided_elsewhere", lambda meeting: None)
    removing = decided_meeting(make_meeting, sekretaris, register[:1])
    monkeypatch.undo()
    found = services.contradictions(listing_all)
    assert [(c.kk, c.outcome, c.other_number, c.other_outcome) for c in found] == [
        (register[0].kk, "tetap", removing.number, "keluar")
    ]
    assert found[0].other_date == removing.meeting_date
    back = services.contradictions(removing)
    assert [(c.kk, c.outcome, c.other_outcome) for c in back] == [
        (register[0].kk, "keluar", "tetap")
    ]
    assert services.contradictions(make_meeting(states.SCHEDULED, period="2026-12")) == []


# --- C. signatories and numbers --------------------------------------------------------------


def test_signatories_are_picked_from_the_participants(client, auth, make_meeting, sekretaris):
    meeting = make_meeting(states.DRAFT)
    chair = invite(meeting, "Suharto", user=sekretaris, unsur="kepala_desa")
    bpd = invite(meeting, "Bu Ketua BPD", user=sekretaris, unsur="bpd_lpm")
    notulen = invite(meeting, "Rina Notulen", user=sekretaris, unsur="notulen", votes=False)
    db.session.commit()
    auth.login_as(sekretaris)
    url = f"/musyawarah/{meeting.id}/ubah"
    page = client.get(url).text
    assert 'name="bpd_pick"' in page and "Bu Ketua BPD" in page
    form = {
        "number": meeting.number,
        "meeting_date": "2026-11-20",
        "place": "Balai Desa",
        "period": "2026-11",
        "version": str(meeting.version),
        "chair_pick": str(chair.id),
        "notulen_pick": str(notulen.id),
        "bpd_pick": str(bpd.id),
        "chair_name": "",
        "notulen_name": "",
    }
    assert client.post(url, data=form).status_code == 302
    meeting = reload(meeting)
    assert (meeting.chair_name, meeting.notulen_name, meeting.bpd_name) == (
        "Suharto",
        "Rina Notulen",
        "Bu Ketua BPD",
    )
    assert "Bu Ketua BPD" in client.get(f"/musyawarah/{meeting.id}").text


def test_typed_names_remain_the_fallback(make_meeting, sekretaris):
    meeting = services.create_meeting(
        WIB_VILLAGE, meeting_data(number="077/X", bpd_name=" Pak BPD "), user=sekretaris
    )
    assert meeting.bpd_name == "Pak BPD"


def test_a_number_is_used_once_per_village_and_year(make_meeting, sekretaris):
    first = make_meeting()
    with pytest.raises(Refused) as refused:
        services.create_meeting(WIB_VILLAGE, meeting_data(number=first.number), user=sekretaris)
    assert refused.value.field == "number" and "sudah dipakai" in refused.value.message
    db.session.rollback()
    # Another year, another village, a cancelled meeting's number: free.
    services.create_meeting(
        WIB_VILLAGE,
        meeting_data(number=first.number, meeting_date=date(2027, 1, 5)),
        user=sekretaris,
    )
    services.create_meeting("1706052004", meeting_data(number=first.number), user=sekretaris)
    first.state = states.CANCELLED
    services.create_meeting(WIB_VILLAGE, meeting_data(number=first.number), user=sekretaris)
    db.session.commit()


def test_the_database_refuses_a_taken_number(make_meeting):
    first = make_meeting()
    second = make_meeting()
    second.number = first.number
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_form_says_the_number_is_taken(client, auth, make_meeting, sekretaris):
    first = make_meeting()
    auth.login_as(sekretaris)
    response = client.post(
        "/musyawarah/baru",
        data={
            "number": first.number,
            "meeting_date": "2026-11-25",
            "place": "Balai Desa",
            "chair_name": "Kepala Desa",
            "notulen_name": "Sekretaris",
            "period": "2026-11",
        },
    )
    assert response.status_code == 200
    assert "sudah dipakai musyawarah lain" in response.text
    second = make_meeting()
    response = client.post(
        f"/musyawarah/{second.id}/ubah",
        data={
            "number": first.number,
            "meeting_date": "2026-11-20",
            "place": "Balai Desa",
            "chair_name": "Kepala Desa",
            "notulen_name": "Sekretaris",
            "period": "2026-11",
            "version": str(second.version),
        },
    )
    assert response.status_code == 200
    assert "sudah dipakai musyawarah lain" in response.text


def test_a_locked_meetings_claims_and_signatory_are_sealed(make_meeting, sekretaris, register):
    from sqlalchemy.exc import DatabaseError

    first = decided_meeting(make_meeting, sekretaris, register[:1])
    db.session.execute(
        text("UPDATE meetings SET state = 'locked' WHERE id = :id"), {"id": first.id}
    )
    db.session.commit()
    for sql in (
        "DELETE FROM decision_claims WHERE meeting_id = :id",
        "UPDATE decision_claims SET period = '2026-12' WHERE meeting_id = :id",
        "UPDATE meetings SET bpd_name = 'Orang Lain' WHERE id = :id",
    ):
        with pytest.raises(DatabaseError):
            db.session.execute(text(sql), {"id": first.id})
            db.session.flush()
        db.session.rollback()
    assert db.session.execute(select(DecisionClaim.meeting_id)).scalars().all() == [first.id]


def test_a_family_removed_by_a_locked_meeting_cannot_be_proposed_again(
    make_meeting, sekretaris, register
):
    # Another period: no claim stands in the way, but the family is no longer on the prelist.
    first = decided_meeting(make_meeting, sekretaris, register[:1], period="2026-10")
    db.session.execute(
        text("UPDATE meetings SET state = 'locked' WHERE id = :id"), {"id": first.id}
    )
    db.session.commit()
    second = make_meeting(states.SCHEDULED)
    with pytest.raises(Refused) as refused:
        remove(second, register[0], sekretaris)
    assert refused.value.message == (
        "Keluarga ini sudah dikeluarkan oleh musyawarah lain yang sudah dikunci."
    )
