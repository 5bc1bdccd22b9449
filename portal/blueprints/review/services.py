"""The camat's review of a locked meeting: confirm or return, each once and for good.

Confirm: the register moves forward (`meetings.register_update`), the portal adds the camat's
confirmation to the berita acara as a second signature (an incremental update: the first
signature stays valid), the review is written, the meeting moves to `confirmed`, the operators
are told. Return: a note for the secretary; the meeting moves to `returned` and is corrected only
by an addendum meeting. All in the request's one transaction, with the meeting row locked.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal import audit
from portal.access import in_scope
from portal.blueprints.berita_acara import canonical, signing, wording
from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara.models import DONE, BeritaAcara
from portal.blueprints.meetings import services as meetings
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.meetings.register_update import apply_meeting
from portal.blueprints.notifications import services as notifications
from portal.blueprints.review.models import CONFIRMED, RETURNED, MeetingReview
from portal.extensions import db
from portal.refusal import Refused
from portal.timeutil import local_date, utcnow

NOTE_MAX = 2000


class ReviewError(Refused):
    """The camat's review was refused."""


def review_of(meeting_id: int) -> MeetingReview | None:
    return db.session.execute(
        select(MeetingReview).where(MeetingReview.meeting_id == meeting_id)
    ).scalar_one_or_none()


def inbox(user: Any = None):  # -> Select of (Meeting, BeritaAcara)
    """Locked meetings in the user's scope waiting for the camat, the longest waiting first."""
    return (
        select(Meeting, BeritaAcara)
        .join(BeritaAcara, BeritaAcara.meeting_id == Meeting.id)
        .where(
            Meeting.state == states.LOCKED,
            BeritaAcara.status == DONE,
            in_scope(Meeting.village_code, user),
        )
        .order_by(BeritaAcara.finished_at, Meeting.id)
    )


def reviewed(user: Any = None, limit: int = 20):  # -> Select of (Meeting, MeetingReview)
    """The latest reviews in the user's scope."""
    return (
        select(Meeting, MeetingReview)
        .join(MeetingReview, MeetingReview.meeting_id == Meeting.id)
        .where(in_scope(Meeting.village_code, user))
        .order_by(MeetingReview.created_at.desc(), MeetingReview.id.desc())
        .limit(limit)
    )


def decided_document(ba: BeritaAcara) -> dict[str, Any]:
    assert ba.canonical is not None  # a done berita acara: the table's check
    return json.loads(ba.canonical)


def _ready(meeting: Meeting, move: str, user: Any) -> BeritaAcara:
    states.check_move(meeting.state, move, user.role)
    if review_of(meeting.id) is not None:
        raise ReviewError(_("Musyawarah ini sudah dikonfirmasi atau dikembalikan."))
    ba = ba_services.of_meeting(meeting.id)
    if ba is None or ba.status != DONE:
        raise ReviewError(_("Berita acara musyawarah ini belum selesai dibuat."))
    return ba


def _clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ReviewError(_("Catatan paling panjang %(n)d karakter.", n=NOTE_MAX), "note")
    return note or None


def confirm(meeting: Meeting, *, user: Any, note: str | None = None) -> MeetingReview:
    """Confirm a locked meeting (the caller loaded it FOR UPDATE); see the module docstring."""
    ba = _ready(meeting, "confirm", user)
    note = _clean_note(note)
    applied = apply_meeting(meeting, user_id=user.id)
    document = decided_document(ba)
    counts = document["counts"]
    assert ba.pdf is not None  # done (_ready): the table's check
    identity = signing.load_identity()
    countersigned = signing.sign_pdf(
        ba.pdf,
        identity,
        field_name="KonfirmasiCamat",
        reason=_(
            "Dikonfirmasi Camat %(kecamatan)s: %(name)s",
            kecamatan=document["meeting"]["kecamatan_name"],
            name=user.full_name,
        ),
        location=document["meeting"]["kecamatan_name"],
        stamp=camat_stamp(ba.pdf, meeting, user),
    )
    ba_services.remember_certificate(identity)
    review = MeetingReview(
        meeting_id=meeting.id,
        outcome=CONFIRMED,
        note=note,
        user_id=user.id,
        pdf=countersigned,
        pdf_sha256=canonical.sha256_hex(countersigned),
        pdf_size=len(countersigned),
        signer_subject=identity.subject[:300],
        signer_fingerprint=identity.fingerprint,
        entry_total=counts["families"] + counts["baru"],
    )
    db.session.add(review)
    # The review first: the database refuses a meeting confirmed without it (migration 0010),
    # and one flush would update the meeting before inserting the review.
    db.session.flush()
    _move(meeting, "confirm", user, note)
    _audit(
        meeting,
        "review.confirmed",
        {
            "pdf_sha256": review.pdf_sha256,
            # The scan the camat saw: it can no longer change (berita_acara.scan).
            "scan_sha256": ba.scan_sha256,
            "removed": applied.removed,
            "added": applied.added,
            "corrected": applied.corrected,
        },
    )
    notifications.notify_meeting_confirmed(meeting)
    notifications.notify_meeting_confirmed_to_village(meeting, user)
    db.session.flush()
    return review


def camat_stamp(pdf: bytes, meeting: Meeting, user: Any) -> signing.Stamp | None:
    """The camat's visible confirmation in the "Mengetahui, Camat" box of the berita acara: the
    name with the NIP an admin recorded for the camat (none invented when there is none), the
    date and time in the region's zone, signed electronically. A PDF without the box (made
    before it was marked, or without the camat block) gets the signature without a stamp."""
    slot = signing.camat_slot(pdf)
    if slot is None:
        return None
    page, box = slot
    now = wording.local_time(utcnow(), meeting.village_code)
    # The berita acara is an Indonesian document whatever language the camat reads the portal in.
    with force_locale("id"):
        lines = (
            _("Ditandatangani secara elektronik oleh"),
            f"{user.full_name} (NIP. {user.nip})" if user.nip else user.full_name,
            _(
                "pada %(date)s pukul %(time)s %(tz)s",
                date=wording.long_date(now.date()),
                time=now.strftime("%H.%M"),
                tz=wording.time_zone(meeting.village_code),
            ),
        )
    return signing.Stamp(lines=lines, page=page, box=box)


def return_meeting(meeting: Meeting, *, user: Any, note: str | None) -> MeetingReview:
    """Return a locked meeting to the secretary with a note; it is corrected by an addendum."""
    ba = _ready(meeting, "return", user)
    note = _clean_note(note)
    if not note:
        raise ReviewError(_("Tulis alasan pengembalian untuk sekretaris desa."), "note")
    review = MeetingReview(meeting_id=meeting.id, outcome=RETURNED, note=note, user_id=user.id)
    db.session.add(review)
    _move(meeting, "return", user, note)
    _audit(meeting, "review.returned", {"note_length": len(note), "scan_sha256": ba.scan_sha256})
    db.session.flush()
    notifications.notify_meeting_returned(meeting, review)
    return review


def _move(meeting: Meeting, move: str, user: Any, note: str | None) -> None:
    meetings.move(meeting, move, user=user, note=note, by_owner=True)


def _audit(meeting: Meeting, action: str, details: dict[str, Any]) -> None:
    audit.record(
        action,
        object_type="meeting",
        object_id=meeting.id,
        region_code=meeting.village_code,
        details=details,
    )


def addendum_of(meeting_id: int) -> Meeting | None:
    """The addendum meeting that corrects a returned meeting (not a cancelled one)."""
    return db.session.execute(
        select(Meeting)
        .where(Meeting.addendum_of_id == meeting_id, Meeting.state != states.CANCELLED)
        .order_by(Meeting.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def create_addendum(returned: Meeting, *, user: Any) -> Meeting:
    """A draft meeting that corrects a returned one: its details, invitees and proposals copied
    (the proposals open again, to be decided anew); the secretary edits it like any draft."""
    from portal.blueprints.meetings.models import Proposal

    if returned.state != states.RETURNED:
        raise ReviewError(
            _("Hanya musyawarah yang dikembalikan camat yang diperbaiki dengan adendum.")
        )
    if addendum_of(returned.id) is not None:
        raise ReviewError(_("Musyawarah adendum untuk musyawarah ini sudah dibuat."))
    review = review_of(returned.id)
    agenda = _(
        "Adendum atas musyawarah %(number)s yang dikembalikan camat.", number=returned.number
    )
    if review is not None and review.note:
        agenda += " " + _("Catatan camat: %(note)s", note=review.note)
    data = meetings.MeetingData(
        number=f"{returned.number}/ADENDUM"[:60],
        meeting_date=local_date(utcnow(), returned.village_code),
        start_time=returned.start_time,
        place=returned.place,
        agenda=agenda,
        chair_name=returned.chair_name,
        notulen_name=returned.notulen_name,
        bpd_name=returned.bpd_name,
        period=returned.period,
    )
    meeting = meetings.create_meeting(returned.village_code, data, user=user)
    meeting.addendum_of_id = returned.id
    meetings.invite_from(meeting, returned)
    proposals = db.session.execute(
        select(Proposal).where(Proposal.meeting_id == returned.id).order_by(Proposal.id)
    ).scalars()
    copied = 0
    for old in proposals:
        db.session.add(
            Proposal(
                meeting_id=meeting.id,
                household_id=old.household_id,
                kind=old.kind,
                reason=old.reason,
                reason_text=old.reason_text,
                details=old.details,
                proposer=old.proposer,
                proposer_name=old.proposer_name,
                note=old.note,
                created_by=user.id,
            )
        )
        copied += 1
    _audit(meeting, "meeting.addendum_create", {"addendum_of": returned.id, "proposals": copied})
    db.session.flush()
    return meeting
