"""Issue 15.4 and 15.5 in the berita acara: an objection is listed (the proposal was decided by a
vote), and a decision reopened before the lock is stated in the minutes as a correction."""

from __future__ import annotations

import json

import time_machine

from portal.blueprints.meetings import services
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.meetings.services import reopening
from portal.extensions import db
from tests.berita_acara.conftest import OPENED, _removal, lock
from tests.berita_acara.test_record_truth import flat_text
from tests.meetings.conftest import invite, meeting_data


def test_objection_and_correction_are_in_the_signed_record(sekretaris, register):
    with time_machine.travel(OPENED, tick=True):
        meeting = services.create_meeting(
            register[0].village_code, meeting_data(number="021/BA-MD/XI/2026"), user=sekretaris
        )
        for name in ("Suharto", "Bu Ketua BPD", "Pak Tokoh"):
            invite(meeting, name, user=sekretaris)
        services.move(meeting, "schedule", user=sekretaris)
        services.move(meeting, "open", user=sekretaris)
        for participant in list(meeting.participants):
            services.check_in(meeting, participant, user=sekretaris)
        disputed = _removal(meeting, register[0], "sudah_mampu", sekretaris)
        services.set_disputed(meeting, disputed, True, user=sekretaris)
        services.record_tally(meeting, disputed, yes=2, no=1, abstain=0, user=sekretaris)
        wrong = _removal(meeting, register[1], "pindah", sekretaris)
        services.decide_by_consensus(meeting, wrong, user=sekretaris)
        reopening.reopen_decision(
            meeting, wrong, reason="Keluarga yang dimaksud RT lain", user=sekretaris
        )
        services.record_tally(meeting, wrong, yes=0, no=3, abstain=0, user=sekretaris)
        services.move(meeting, "decide", user=sekretaris)
        db.session.commit()
    ba = lock(db.session.get(Meeting, meeting.id), sekretaris, real_pdf=True)
    assert ba.status == "done", ba.error

    signed = json.loads(ba.canonical)
    keluar = signed["families"]["keluar"]
    assert [row["decision"]["objection"] for row in keluar] == [True]
    assert signed["rejected"][0]["decision"]["objection"] is False
    (correction,) = signed["corrections"]
    assert correction["reason"] == "Keluarga yang dimaksud RT lain"
    assert correction["earlier"]["accepted"] is True
    assert correction["earlier"]["method"] == "mufakat"
    assert correction["at"].startswith("2026-11-20 09:")  # WIB, the region's zone

    text = flat_text(ba.pdf)
    assert "ada keberatan" in text
    assert "Usulan yang mendapat keberatan (1) diputuskan dengan pemungutan suara" in text
    assert "Koreksi keputusan selama musyawarah" in text
    assert "keputusan semula diterima (Mufakat) dibuka kembali" in text
    assert "Keluarga yang dimaksud RT lain" in text
