"""Every interactive endpoint of a meeting answers htmx with a fragment (no <html>, the summary
out of band) and a plain form post with a redirect to the full page, which then shows the change."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.blueprints.meetings import services
from portal.blueprints.meetings.models import Participant, Proposal, Vote
from portal.extensions import db
from tests.factories import Auth
from tests.meetings.test_services import removal, session

HX = {"HX-Request": "true"}


@pytest.fixture
def running(client, make_meeting, sekretaris, register):
    """A meeting in session: 3 invited voters, 2 present, 3 open proposals; secretary logged in."""
    meeting, people = session(make_meeting, sekretaris, invited=3, present=2)
    items = [removal(meeting, family, sekretaris) for family in register[:3]]
    db.session.commit()
    Auth(client).login_as(sekretaris)
    return meeting, people, items


def _endpoints(meeting, people, items):
    base = f"/musyawarah/{meeting.id}"
    first, second, third = items
    return [
        (
            "check-in",
            f"{base}/peserta/{people[2].id}/hadir",
            {"hadir": "1"},
            lambda: db.session.get(Participant, people[2].id).present,
        ),
        (
            "consensus",
            f"{base}/usulan/{first.id}/mufakat",
            {},
            lambda: db.session.get(Proposal, first.id).status == "decided",
        ),
        (
            "dispute",
            f"{base}/usulan/{second.id}/keberatan",
            {"keberatan": "1"},
            lambda: db.session.get(Proposal, second.id).disputed,
        ),
        (
            "tally",
            f"{base}/usulan/{second.id}/hitung",
            {"yes": "2", "no": "0", "abstain": "0"},
            lambda: db.session.get(Proposal, second.id).accepted is True,
        ),
        (
            "named vote opens",
            f"{base}/usulan/{third.id}/voting",
            {},
            lambda: db.session.get(Proposal, third.id).vote_mode == "named",
        ),
        (
            "vote",
            f"{base}/usulan/{third.id}/suara/{people[0].id}",
            {"pilihan": "setuju"},
            lambda: db.session.execute(select(Vote)).scalar_one().choice == "setuju",
        ),
        (
            "named vote closes",
            f"{base}/usulan/{third.id}/tutup",
            {},
            lambda: db.session.get(Proposal, third.id).status == "decided",
        ),
    ]


@pytest.mark.parametrize("as_htmx", [True, False], ids=["htmx", "plain"])
def test_each_interactive_endpoint(client, running, as_htmx):
    meeting, people, items = running
    for name, url, data, changed in _endpoints(meeting, people, items):
        response = client.post(url, data=data, headers=HX if as_htmx else {})
        body = response.get_data(as_text=True)
        if as_htmx:
            assert response.status_code == 200, name
            assert "<html" not in body, name
            if name == "vote":
                # A vote changes no summary figure: the voter's line and the counts come back.
                assert body.lstrip().startswith('<li id="pemilih-'), name
                assert re.search(r'<p id="suara-bernama-\d+" hx-swap-oob="true">', body), name
                assert 'aria-pressed="true"' in body, name
                assert "ringkasan-rapat" not in body and len(body) < 3000, name
            else:
                assert 'id="ringkasan-rapat"' in body and 'hx-swap-oob="true"' in body, name
        else:
            assert response.status_code == 302, name
            page = client.get(response.location)
            assert page.status_code == 200 and "<html" in page.get_data(as_text=True), name
        db.session.expire_all()
        assert changed(), name


def test_refused_action_over_htmx_shows_the_message_out_of_band(client, running):
    meeting, _people, items = running
    body = client.post(
        f"/musyawarah/{meeting.id}/usulan/{items[0].id}/hitung",
        data={"yes": "5", "no": "0", "abstain": "0"},
        headers=HX,
    ).get_data(as_text=True)
    assert 'id="pesan"' in body and "melebihi peserta berhak suara" in body
    db.session.expire_all()
    assert db.session.get(Proposal, items[0].id).status == "open"


def test_the_meeting_page_counts_follow_the_decisions(client, running, sekretaris):
    meeting, _, _items = running
    services.decide_batch(meeting, user=sekretaris)
    db.session.commit()
    page = client.get(f"/musyawarah/{meeting.id}").get_data(as_text=True)
    assert "3/3" in page  # decided / proposals
    assert "sedang berlangsung" in page


def test_a_refused_vote_over_htmx_redraws_the_whole_proposal(client, running):
    """The vote form targets the voter's line; a refusal (the vote is closed) retargets the
    answer to the whole proposal, which then shows the outcome and the message."""
    meeting, people, items = running
    base = f"/musyawarah/{meeting.id}/usulan/{items[0].id}"
    client.post(f"{base}/voting", headers=HX)
    client.post(f"{base}/tutup", headers=HX)
    response = client.post(f"{base}/suara/{people[0].id}", data={"pilihan": "setuju"}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#usulan-{items[0].id}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    body = response.get_data(as_text=True)
    assert f'id="usulan-{items[0].id}"' in body and 'class="flash flash-error"' in body
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
