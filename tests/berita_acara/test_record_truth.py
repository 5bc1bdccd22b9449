"""Issue 15, the berita acara's side: it states when the meeting was really held (in the region's
zone), who signs, invited voters apart from walk-ins, and the camat's visible confirmation."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import UTC, date, datetime
from warnings import catch_warnings, simplefilter

import pikepdf
import pytest
from flask import render_template
from sqlalchemy import select

from portal.blueprints.berita_acara import document, signing
from portal.blueprints.berita_acara.forms import VerifyForm
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.notifications.models import Notification
from portal.blueprints.review import services as review
from portal.blueprints.review import warnings
from portal.extensions import db
from portal.personal_data import mask_id
from tests.berita_acara.conftest import build_decided, lock
from tests.berita_acara.synthetic import synthetic_document
from tests.berita_acara.test_rendering import pdf_pages_text, render
from tests.factories import DESA_PASAR_IPUH

# The real PDF (tests/factories.py): its text and the camat's stamp on its page are read.
pytestmark = pytest.mark.real_pdf

# Scheduled for 17 December; opened on 3 December at 09:12 WIB, decided at 11:40 WIB.
SCHEDULED = date(2026, 12, 17)
OPENED = datetime(2026, 12, 3, 2, 12, tzinfo=UTC)
DECIDED = datetime(2026, 12, 3, 4, 40, tzinfo=UTC)


def flat_text(pdf: bytes) -> str:
    return " ".join(pdf_pages_text(pdf))


def locked_on(user, households, **kw):
    meeting = build_decided(user, households, **kw)
    ba = lock(meeting, user, real_pdf=True)
    assert ba.status == "done", ba.error
    return db.session.get(Meeting, meeting.id), ba


@pytest.fixture
def other_day(sekretaris, register):
    return locked_on(
        sekretaris,
        register,
        meeting_date=SCHEDULED,
        period="2026-12",
        opened=OPENED,
        decided=DECIDED,
    )


# --- 1. the real date and time ---------------------------------------------------------------


def test_the_ba_states_the_day_it_was_held_not_the_day_scheduled(other_day):
    _meeting, ba = other_day
    text = flat_text(ba.pdf)
    assert (
        "Pada hari ini Kamis tanggal tiga bulan Desember tahun dua ribu dua puluh enam, "
        "bertempat di Balai Desa Pasar Ipuh, pukul 09.12 sampai dengan pukul 11.40 WIB, "
        "telah diselenggarakan" in text
    )
    assert (
        "Musyawarah ini dijadwalkan pada tanggal 17 Desember 2026 dan dilaksanakan pada "
        "tanggal 3 Desember 2026." in text
    )
    assert "Pasar Ipuh, 3 Desember 2026" in text
    assert "tujuh belas" not in text and "Pasar Ipuh, 17 Desember 2026" not in text
    decided = json.loads(ba.canonical)
    assert decided["format"] == "portal-musyawarah/berita-acara/2"
    m = decided["meeting"]
    assert (m["date"], m["scheduled_date"], m["held_date"]) == (
        "2026-12-17",
        "2026-12-17",
        "2026-12-03",
    )
    assert (m["opened_at"], m["closed_at"], m["closed_date"], m["time_zone"]) == (
        "09:12",
        "11:40",
        "2026-12-03",
        "WIB",
    )


def test_new_years_eve_2330_wib_is_still_31_december(sekretaris, register):
    """16:30 UTC on 31 December is 23:30 WIB the same day; the meeting closes after midnight."""
    _meeting, ba = locked_on(
        sekretaris,
        register,
        meeting_date=date(2026, 12, 31),
        period="2026-12",
        opened=datetime(2026, 12, 31, 16, 30, tzinfo=UTC),
        decided=datetime(2026, 12, 31, 17, 15, tzinfo=UTC),
    )
    text = flat_text(ba.pdf)
    assert (
        "Pada hari ini Kamis tanggal tiga puluh satu bulan Desember tahun dua ribu dua puluh "
        "enam, bertempat di Balai Desa Pasar Ipuh, pukul 23.30 WIB sampai dengan tanggal "
        "1 Januari 2027 pukul 00.15 WIB" in text
    )
    assert "dijadwalkan pada tanggal" not in text  # held on the day scheduled
    assert "Pasar Ipuh, 31 Desember 2026" in text


@pytest.mark.parametrize(
    ("code", "opened", "held", "clock"),
    [
        # 31 December 16:30 UTC: still 31 December in WIB, already 1 January in WITA and WIT.
        ("1706052006", datetime(2026, 12, 31, 16, 30), "2026-12-31", "23:30"),
        ("5171031006", datetime(2026, 12, 31, 16, 30), "2027-01-01", "00:30"),
        ("9103012005", datetime(2026, 12, 31, 16, 30), "2027-01-01", "01:30"),
        # Month end: 30 November 17:30 UTC is 1 December in WIB.
        ("1706052006", datetime(2026, 11, 30, 17, 30), "2026-12-01", "00:30"),
        # Leap day: 28 February 2028 17:00 UTC is 29 February in WIB; 29 Feb 16:59 UTC too.
        ("1706052006", datetime(2028, 2, 28, 17, 0), "2028-02-29", "00:00"),
        ("1706052006", datetime(2028, 2, 29, 16, 59), "2028-02-29", "23:59"),
    ],
)
def test_held_date_in_the_regions_zone(code, opened, held, clock):
    # SQLite gives stored times back naive (UTC); PostgreSQL aware: both read the same.
    for moment in (opened, opened.replace(tzinfo=UTC)):
        meeting = Meeting(village_code=code, opened_at=moment, decided_at=moment)
        fact = document.held(meeting)
        assert (fact["held_date"], fact["opened_at"]) == (held, clock)


def test_leap_day_in_words(app):
    doc = synthetic_document(
        tetap=2,
        keluar=0,
        baru=0,
        perbaikan=0,
        rejected=0,
        participants=4,
        meeting={
            "date": "2028-03-02",
            "scheduled_date": "2028-03-02",
            "held_date": "2028-02-29",
            "opened_at": "19:00",
            "closed_at": "21:05",
            "closed_date": "2028-02-29",
            "time_zone": "WIB",
        },
    )
    result, _data, _digest = render(doc, workers=1)
    text = flat_text(result.pdf)
    assert (
        "Pada hari ini Selasa tanggal dua puluh sembilan bulan Februari tahun dua ribu dua "
        "puluh delapan, bertempat di Balai Desa Pasar Ipuh, pukul 19.00 sampai dengan pukul "
        "21.05 WIB" in text
    )
    assert "dijadwalkan pada tanggal 2 Maret 2028 dan dilaksanakan pada tanggal 29 Februari" in text


def test_the_camat_is_warned_about_another_day(other_day):
    meeting, ba = other_day
    found = warnings.for_meeting(meeting, ba, json.loads(ba.canonical))
    other = [w for w in found if w.kind == "other_day"]
    assert len(other) == 1
    assert "dijadwalkan 17 Desember 2026, dilaksanakan 3 Desember 2026" in other[0].message


def test_no_warning_when_held_on_the_day_scheduled(locked):
    meeting, ba = locked
    found = warnings.for_meeting(meeting, ba, json.loads(ba.canonical))
    assert "other_day" not in {w.kind for w in found}


def test_the_verification_page_shows_scheduled_and_held(client, other_day):
    _meeting, ba = other_day
    page = client.get(f"/verifikasi/{ba.verify_code}")
    assert page.status_code == 200
    body = " ".join(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)).split())
    assert "Dijadwalkan 2026-12-17 09:00" in body
    assert "Dilaksanakan 2026-12-03 09:12–11:40 WIB (tidak pada tanggal yang dijadwalkan)" in body


def test_the_verification_page_still_shows_a_format_1_document(app, locked):
    """Documents stored before format 2 have no held date: shown as they are, no error."""
    meeting, ba = locked
    old = json.loads(ba.canonical)
    old["format"] = "portal-musyawarah/berita-acara/1"
    for key in ("scheduled_date", "held_date", "opened_at", "closed_at", "closed_date"):
        old["meeting"].pop(key)
    for key in ("time_zone", "bpd"):
        old["meeting"].pop(key)
    for key in ("present_invited_voters", "present_walk_ins"):
        old["attendance"].pop(key)
    with app.test_request_context("/"):
        html = render_template(
            "berita_acara/verify.html",
            ba=ba,
            meeting=meeting,
            decided=old,
            form=VerifyForm(),
            verdict=None,
            mask=mask_id,
            reason_labels={},
        )
    body = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Dijadwalkan 2026-11-20 09:00" in body
    assert "tidak tercatat di berita acara ini (format lama)" in body
    assert "4 hadir; 3 dari 3 undangan berhak suara (kuorum 2)" in body


# --- 3. names under the signatures, walk-ins apart ----------------------------------------------


def test_signature_blocks_print_the_chosen_names(sekretaris, register):
    _meeting, ba = locked_on(
        sekretaris,
        register,
        chair_name="Suharto",
        notulen_name="Rina Marlina",
        bpd_name="Hj. Rosmawati",
    )
    text = flat_text(ba.pdf)
    signatures = text[text.index("Demikian berita acara") : text.index("LAMPIRAN I ")]
    for name in ("Suharto", "Rina Marlina", "Hj. Rosmawati"):
        assert name in signatures, name
    # The BPD chair chosen, not merely the first BPD participant present.
    assert "Bu Ketua BPD" not in signatures


def test_walk_ins_are_counted_apart_from_the_invited_voters(sekretaris, register):
    _meeting, ba = locked_on(sekretaris, register, walk_ins=("Pak Datang",))
    text = flat_text(ba.pdf)
    # 3 invited voters, all present, and one walk-in with a vote: never "4 hadir dari 3".
    assert "4 hadir dari 3" not in text
    assert "peserta dengan hak suara yang diundang: 3 hadir dari 3." in text
    assert "Hadir tanpa undangan: 1 orang." in text
    assert re.search(r"Peserta dengan hak suara yang diundang dan hadir : 3 orang", text)
    assert re.search(r"Peserta yang hadir tanpa undangan \(tidak dihitung dalam kuorum\) : 1", text)
    attendance = json.loads(ba.canonical)["attendance"]
    assert (attendance["present_invited_voters"], attendance["present_walk_ins"]) == (3, 1)


# --- 2. the camat's confirmation, visible ------------------------------------------------------


def _stamp_text(pdf: bytes, field: str) -> tuple[int, list[float], str]:
    """The page and rectangle of a signature field, and the text its appearance shows: the
    annotations flattened into the page (qpdf), then the page's text inside the rectangle."""
    with pikepdf.open(io.BytesIO(pdf)) as source:
        for number, page in enumerate(source.pages):
            for annotation in page.obj.get("/Annots") or []:
                if str(annotation.get("/T", "")) != field:
                    continue
                rect = [float(v) for v in annotation.Rect]
                flat = io.BytesIO()
                with catch_warnings():  # pikepdf on the signature's widget
                    simplefilter("ignore")
                    source.flatten_annotations("all")
                    source.save(flat)
                height = float(source.pages[number].mediabox[3])
                shown = subprocess.run(
                    [
                        *("pdftotext", "-f", str(number + 1), "-l", str(number + 1)),
                        *("-x", str(int(rect[0])), "-y", str(int(height - rect[3]))),
                        *("-W", str(int(rect[2] - rect[0]) + 1)),
                        *("-H", str(int(rect[3] - rect[1]) + 1)),
                        "-",
                        "-",
                    ],
                    input=flat.getvalue(),
                    capture_output=True,
                    check=True,
                ).stdout.decode()
                return number, rect, " ".join(shown.split())
    raise AssertionError(f"no field {field}")


def _page_png(pdf: bytes, page: int, folder) -> bytes:
    source = folder / "in.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            *("pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), "-singlefile"),
            *(str(source), str(folder / "page")),
        ],
        check=True,
    )
    return (folder / "page.png").read_bytes()


def test_the_confirmation_fills_the_camat_block_visibly(locked, users, tmp_path):
    meeting, ba = locked
    camat = users["camat"]
    unconfirmed = ba.pdf
    slot = signing.camat_slot(unconfirmed)
    assert slot is not None
    with_time = datetime(2026, 11, 21, 7, 5, tzinfo=UTC)  # 14.05 WIB
    import time_machine

    with time_machine.travel(with_time, tick=False):
        stamp = review.camat_stamp(unconfirmed, meeting, camat)
    assert stamp is not None and stamp.page == slot[0]
    assert stamp.lines == (
        "Ditandatangani secara elektronik oleh",
        camat.full_name,
        "pada 21 November 2026 pukul 14.05 WIB",
    )

    result = review.confirm(meeting, user=camat)
    db.session.commit()
    signed = result.pdf
    page, rect, shown = _stamp_text(signed, "KonfirmasiCamat")
    assert page == slot[0]
    assert rect == pytest.approx(list(slot[1]), abs=0.5)
    assert "Ditandatangani secara elektronik oleh" in shown and camat.full_name in shown
    assert "WIB" in shown
    # The box is on the page of "Mengetahui, Camat Ipuh", and the page now looks different.
    assert "Mengetahui, Camat Ipuh" in pdf_pages_text(signed)[page]
    assert _page_png(unconfirmed, page + 1, tmp_path) != _page_png(signed, page + 1, tmp_path)
    # Both signatures valid; the first covers exactly its own revision, the second the file.
    checked = signing.check_pdf(signed, signing.trusted_certificates())
    assert [s.field for s in checked.signatures] == ["PortalMusyawarah", "KonfirmasiCamat"]
    assert all(s.ok for s in checked.signatures)
    assert not checked.signatures[0].covers_whole_file and checked.signatures[1].covers_whole_file
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(signed))
    first = reader.embedded_signatures[0]
    second = reader.embedded_signatures[1]
    assert first.signed_revision < second.signed_revision
    context = ValidationContext(trust_roots=signing.trusted_certificates())
    status = validate_pdf_signature(first, context)
    assert status.intact and status.valid and status.coverage.name == "ENTIRE_REVISION"
    assert signed.startswith(unconfirmed)


def test_the_village_secretary_is_told_of_the_confirmation(locked, users, sekretaris, app):
    meeting, _ba = locked
    review.confirm(meeting, user=users["camat"])
    db.session.commit()
    told = db.session.execute(
        select(Notification).where(
            Notification.user_id == sekretaris.id, Notification.meeting_id == meeting.id
        )
    ).scalar_one()
    assert told.kind == "meeting_confirmed_village"
    assert told.params["camat"] == users["camat"].full_name
    from portal.blueprints.notifications.wording import message

    with app.test_request_context("/"):
        assert message(told) == (
            f"Berita acara {meeting.number} (Pasar Ipuh) dikonfirmasi dan ditandatangani secara "
            f"elektronik oleh camat {users['camat'].full_name}."
        )
    assert meeting.village_code == DESA_PASAR_IPUH


def test_the_camats_nip_is_stamped_when_an_admin_recorded_it(client, auth, locked, users):
    meeting, _ba = locked
    camat, admin = users["camat"], users["admin"]
    auth.login_as(admin)
    url = f"/admin/pengguna/{camat.id}/ubah"
    form = {
        "full_name": camat.full_name,
        "role": "camat",
        "region_code": camat.region_code,
        "nip": "1973 0512 1998 03 1 004x",
    }
    page = client.post(url, data=form).get_data(as_text=True)
    assert "NIP terdiri atas 18 angka." in page
    assert db.session.get(type(camat), camat.id).nip is None
    form["nip"] = "19730512 199803 1 004"
    assert client.post(url, data=form).status_code == 302
    camat = db.session.get(type(camat), camat.id)
    assert camat.nip == "197305121998031004"

    result = review.confirm(meeting, user=camat)
    db.session.commit()
    _page, _rect, shown = _stamp_text(result.pdf, "KonfirmasiCamat")
    assert f"{camat.full_name} (NIP. 197305121998031004)" in shown


def test_flask_ba_verify_does_not_recompute_a_format_1_list(
    runner, sekretaris, register, monkeypatch, tmp_path
):
    """A berita acara locked by the earlier version (format 1) stays genuine; the recomputation
    from today's data, which builds format 2, is not offered as a failure."""
    monkeypatch.setattr(document, "FORMAT", "portal-musyawarah/berita-acara/1")
    _meeting, ba = locked_on(sekretaris, register)
    monkeypatch.undo()
    assert json.loads(ba.canonical)["format"] == "portal-musyawarah/berita-acara/1"
    path = tmp_path / "ba.pdf"
    path.write_bytes(ba.pdf)
    result = runner.invoke(args=["ba", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "HASIL: ASLI" in result.output
    assert "tidak dihitung (format lama portal-musyawarah/berita-acara/1" in result.output
