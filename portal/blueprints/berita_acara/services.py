"""The berita acara's rules: request the lock, generate it (the job), the scan, verification.

Generating the final berita acara locks the meeting, and nothing else does: the job renders the
PDF, signs it, and only then, in one transaction with the meeting row locked, stores the PDF and
moves the meeting to `locked`. A failure leaves the meeting decided, with the reason shown.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal import audit
from portal.blueprints.berita_acara import canonical, document, scan, signing, trust
from portal.blueprints.berita_acara.models import (
    DONE,
    FAILED,
    PENDING,
    QUEUED,
    RUNNING,
    BeritaAcara,
    SigningCertificate,
)
from portal.blueprints.meetings import services as meetings
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.users.models import User
from portal.config import public_url
from portal.extensions import db
from portal.timeutil import overdue, utcnow

log = logging.getLogger(__name__)


class BeritaAcaraError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def of_meeting(meeting_id: int) -> BeritaAcara | None:
    return db.session.execute(
        select(BeritaAcara).where(BeritaAcara.meeting_id == meeting_id)
    ).scalar_one_or_none()


def is_stalled(ba: BeritaAcara) -> bool:
    """A job that has not finished long after it was asked for: its worker died or no worker
    runs. The secretary may ask again (the job itself refuses to finish a superseded request)."""
    if ba.status not in PENDING:
        return False
    timeout = current_app.config.get("BA_JOB_TIMEOUT", 900)
    return overdue(ba.started_at or ba.requested_at, timeout)


def generation_pending(meeting_id: int) -> bool:
    ba = of_meeting(meeting_id)
    return ba is not None and ba.pending and not is_stalled(ba)


def request_lock(meeting: Meeting, *, user: Any) -> BeritaAcara:
    """Ask for the final berita acara; the job generates it and locks the meeting."""
    if meeting.state in states.SEALED:
        raise BeritaAcaraError(_("Berita acara musyawarah ini sudah dibuat dan dikunci."))
    try:
        states.check_move(meeting.state, "lock", user.role)
    except states.MoveRefused as refused:
        raise BeritaAcaraError(refused.message) from refused
    open_items = meetings.count_open(meeting)
    if open_items:
        raise BeritaAcaraError(_("Masih ada %(n)d usulan yang belum diputuskan.", n=open_items))
    ba = db.session.execute(
        select(BeritaAcara)
        .where(BeritaAcara.meeting_id == meeting.id)
        .with_for_update(of=BeritaAcara)
    ).scalar_one_or_none()
    if ba is not None and ba.status == DONE:
        raise BeritaAcaraError(_("Berita acara musyawarah ini sudah dibuat dan dikunci."))
    if ba is not None and ba.pending and not is_stalled(ba):
        raise BeritaAcaraError(_("Berita acara sedang dibuat. Tunggu sampai selesai."))
    if ba is None:
        ba = BeritaAcara(meeting_id=meeting.id, verify_code=secrets.token_urlsafe(18))
        db.session.add(ba)
    ba.status, ba.progress, ba.error = QUEUED, 0, None
    ba.attempt = (ba.attempt or 0) + 1
    ba.requested_by, ba.requested_at = user.id, utcnow()
    ba.started_at = ba.finished_at = None
    db.session.flush()
    _audit(meeting, "berita_acara.request", {"berita_acara": ba.id})
    return ba


def _audit(meeting: Meeting, action: str, details: dict[str, Any] | None = None, **kw) -> None:
    audit.record(
        action,
        object_type="meeting",
        object_id=meeting.id,
        region_code=meeting.village_code,
        details=details,
        **kw,
    )


def verify_url(code: str) -> str:
    """The verification address printed in the PDF: under PUBLIC_BASE_URL, from configuration
    only (never the request's Host header: a forged one would sign a foreign address)."""
    return public_url("verification.show", code=code)


def _set_progress(ba_id: int, percent: float) -> None:
    db.session.execute(
        update(BeritaAcara)
        .where(BeritaAcara.id == ba_id, BeritaAcara.status == RUNNING)
        .values(progress=max(0, min(99, int(percent))))
    )
    db.session.commit()


def _fail(ba_id: int, message: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(BeritaAcara)
        .where(BeritaAcara.id == ba_id, BeritaAcara.status.in_(PENDING))
        .values(status=FAILED, error=message, finished_at=utcnow())
    )
    ba = db.session.get(BeritaAcara, ba_id)
    if ba is not None:
        audit.record(
            "berita_acara.failed",
            object_type="meeting",
            object_id=ba.meeting_id,
            details={"error": message[:200]},
            user_id=ba.requested_by,
        )
    db.session.commit()


def _camat_block(meeting: Meeting) -> bool:
    return bool(meetings.rules_for(meeting.village_code[:4]).ba_camat_block)


def decided_document(meeting: Meeting) -> tuple[bytes, str]:
    data = canonical.canonical_bytes(document.build(meeting, camat_block=_camat_block(meeting)))
    return data, canonical.sha256_hex(data)


def remember_certificate(identity: signing.Identity) -> None:
    """Record the certificate the portal signs with, sealed (`trust.py`): it stays trusted after
    a key change. A row of this fingerprint without a valid seal (recorded before the seal, or
    under another SECRET_KEY) is sealed now, if its certificate is really this one."""
    row = db.session.get(SigningCertificate, identity.fingerprint)
    if row is None:
        row = SigningCertificate(
            fingerprint=identity.fingerprint,
            subject=identity.subject[:300],
            pem=identity.certificate_pem,
        )
        trust.seal(row)
        db.session.add(row)
    elif not trust.is_sealed(row) and trust.fingerprint_of(row.pem) == identity.fingerprint:
        trust.seal(row)


def generate(ba_id: int) -> None:
    """Job: render, sign, then lock, in that order; any failure leaves the meeting decided."""
    from portal.blueprints.berita_acara.rendering.pipeline import render_ba_pdf

    ba = db.session.get(BeritaAcara, ba_id)
    if ba is None or ba.status != QUEUED:
        return
    attempt = ba.attempt
    ba.status, ba.started_at, ba.progress = RUNNING, utcnow(), 2
    db.session.commit()
    try:
        meeting = db.session.get(Meeting, ba.meeting_id)
        if meeting is None or meeting.state != states.DECIDED:
            _fail(ba_id, _("Musyawarah tidak lagi berstatus diputuskan."))
            return
        data, digest = decided_document(meeting)
        url = verify_url(ba.verify_code)
        number, place = meeting.number, meeting.village.name
        db.session.commit()  # no transaction stays open while the PDF renders

        result = render_ba_pdf(
            data,
            sha256=digest,
            verify_url=url,
            progress=lambda percent: _set_progress(ba_id, 5 + percent * 0.85),
        )
        identity = signing.load_identity()
        signed = signing.sign_pdf(
            result.pdf,
            identity,
            field_name="PortalMusyawarah",
            reason=f"Berita acara {number}; SHA-256 keputusan {digest}",
            location=place,
        )
        _set_progress(ba_id, 95)

        # The lock: the meeting row locked, the request still the current one, the decided
        # list unchanged since the render (else the PDF would not be what is locked).
        meeting = db.session.execute(
            select(Meeting)
            .where(Meeting.id == ba.meeting_id)
            .with_for_update(of=Meeting)
            .execution_options(populate_existing=True)
        ).scalar_one()
        ba = db.session.execute(
            select(BeritaAcara)
            .where(BeritaAcara.id == ba_id)
            .with_for_update(of=BeritaAcara)
            .execution_options(populate_existing=True)
        ).scalar_one()
        if ba.status != RUNNING or ba.attempt != attempt:
            db.session.rollback()
            return  # superseded by a newer request: that job finishes the work
        if meeting.state != states.DECIDED:
            _fail(ba_id, _("Musyawarah tidak lagi berstatus diputuskan."))
            return
        if decided_document(meeting)[1] != digest:
            _fail(
                ba_id,
                _("Keputusan berubah selama berita acara dibuat. Buat ulang berita acara."),
            )
            return
        remember_certificate(identity)
        ba.canonical, ba.sha256 = data, digest
        ba.pdf, ba.pdf_sha256, ba.pdf_size = signed, canonical.sha256_hex(signed), len(signed)
        ba.pages, ba.render_seconds = result.pages, round(result.seconds, 2)
        ba.signer_subject = identity.subject[:300]
        ba.signer_fingerprint = identity.fingerprint
        ba.signed_at = ba.finished_at = utcnow()
        ba.status, ba.progress, ba.error = DONE, 100, None
        requester = db.session.get(User, ba.requested_by) if ba.requested_by else None
        meetings.move(meeting, "lock", user=requester, by_job=True)
        _audit(
            meeting,
            "berita_acara.locked",
            {"sha256": digest, "pdf_sha256": ba.pdf_sha256, "pages": result.pages},
            user_id=ba.requested_by,
        )
        from portal.blueprints.review.services import notify

        notify("notify_ba_locked", meeting)  # the camat: a berita acara waits for them
        db.session.commit()
        from portal.blueprints.notifications.services import send_queued_emails

        send_queued_emails()
    except Exception as error:  # any failure: the meeting stays decided
        log.exception("berita acara %s: generation failed", ba_id)
        message = error.message if isinstance(error, meetings.MeetingError) else None
        _fail(
            ba_id,
            message
            or _("Pembuatan berita acara gagal (%(kind)s). Coba lagi.", kind=type(error).__name__),
        )


# --- the hand-signed scan ------------------------------------------------------------------


def scan_refusal(meeting: Meeting) -> str | None:
    """Why no scan may be uploaded for this meeting now (None while it may): see `scan`."""
    return scan.upload_refusal(meeting, of_meeting(meeting.id))


def attach_scan(meeting: Meeting, data: bytes, *, user: Any) -> BeritaAcara:
    """Keep the scan of the hand-signed berita acara (the caller loaded the meeting FOR
    UPDATE, as the camat's review does, so no review slips in between the check and the
    write). Refused, with nothing written, once the camat has reviewed the meeting or when
    the file is not a clean PDF, JPEG or PNG."""
    ba = of_meeting(meeting.id)
    refusal = scan.upload_refusal(meeting, ba)
    if refusal is not None:
        raise BeritaAcaraError(refusal)
    assert ba is not None  # upload_refusal refuses a meeting without one
    limit = current_app.config.get("BA_SCAN_MAX_BYTES", 10 * 1024 * 1024)
    try:
        mimetype = scan.check_file(data, max_bytes=limit)
    except scan.ScanRefused as refused:
        raise BeritaAcaraError(refused.message) from refused
    replaced = ba.scan_sha256
    ba.scan, ba.scan_mimetype, ba.scan_size = data, mimetype, len(data)
    ba.scan_sha256 = hashlib.sha256(data).hexdigest()
    ba.scan_uploaded_at, ba.scan_uploaded_by = utcnow(), user.id
    _audit(
        meeting,
        "berita_acara.scan",
        {"sha256": ba.scan_sha256, "size": len(data), "type": mimetype, "replaced": replaced},
    )
    db.session.flush()
    return ba


# --- verification of a PDF ------------------------------------------------------------------


#: What the verification page shows of the families: all of them as the meeting's officials
#: see them, those the transparency page shows (masked as there), or none, only the counts.
FULL, PUBLIC, COUNTS = "full", "public", "counts"


def verification_view(ba: BeritaAcara, *, in_scope: bool) -> dict[str, Any]:
    """What the public verification page of `ba` shows its reader (template context).

    Anyone sees whether a file is genuine, the meeting, its dates, the counts and the hash.
    Names follow the transparency page's rule: a user whose scope covers the village sees every
    family (NIK and KK masked); anyone else sees the families only where the transparency page
    would show this meeting, exactly as it shows them, and otherwise none, nor the counts by
    reason (in a small village "1 keluar, meninggal" tells who died). What is not shown is not
    handed to the template either."""
    from portal.blueprints.transparency import services as transparency

    assert ba.canonical is not None  # a verification page shows a done berita acara
    document = json.loads(ba.canonical)
    if in_scope:
        return {"decided": document, "families_shown": FULL, "public_families": None}
    shown = PUBLIC if transparency.decisions_public(ba.meeting) else COUNTS
    counts = dict(document.get("counts") or {})
    if shown == COUNTS:
        counts.pop("keluar_by_reason", None)
    attendance = dict(document.get("attendance") or {})
    attendance["participants"] = [  # counted for old documents, never named here
        {key: person.get(key) for key in ("votes", "present", "walk_in")}
        for person in attendance.get("participants") or []
    ]
    header = {
        "format": document.get("format"),
        "meeting": document.get("meeting") or {},
        "attendance": attendance,
        "counts": counts,
    }
    return {
        "decided": header,
        "families_shown": shown,
        "public_families": transparency.public_families(document) if shown == PUBLIC else None,
    }


@dataclass
class Verdict:
    genuine: bool
    reasons: list[str] = field(default_factory=list)
    signatures: list[signing.SignatureReport] = field(default_factory=list)
    embedded_sha256: str | None = None
    other: BeritaAcara | None = None  # the berita acara the file belongs to, if another one


def check_file(data: bytes, ba: BeritaAcara | None) -> Verdict:
    """Is this file the genuine, unmodified berita acara `ba` (or, with `ba` None, any of the
    portal's)? Every reason it is not, in words a resident understands."""
    from portal.blueprints.berita_acara.rendering.embedded import read_embedded
    from portal.inflation import InflationRefused

    verdict = Verdict(genuine=False)
    if not data.startswith(b"%PDF-"):
        verdict.reasons.append(_("Berkas ini bukan PDF."))
        return verdict
    checked = signing.check_pdf(data, signing.trusted_certificates())
    if not checked.readable:
        verdict.reasons.append(_("PDF rusak atau tidak dapat dibaca."))
        return verdict
    verdict.signatures = checked.signatures
    if not checked.signatures:
        verdict.reasons.append(_("PDF ini tidak memiliki tanda tangan digital."))
    if any(not s.intact for s in checked.signatures):
        verdict.reasons.append(
            _("Isi PDF telah diubah setelah ditandatangani (tanda tangan tidak utuh).")
        )
    elif any(not s.valid for s in checked.signatures):
        verdict.reasons.append(_("Tanda tangan digital tidak sah."))
    elif any(not s.trusted for s in checked.signatures):
        verdict.reasons.append(_("Tanda tangan digital bukan dari Portal Musyawarah."))
    if checked.unsigned_tail:
        verdict.reasons.append(_("Ada tambahan pada PDF setelah tanda tangan terakhir."))
    if verdict.reasons:
        # Refused already. Only a file the portal's own intact signatures cover whole has
        # its attached list read: what anyone else attached may be a decompression bomb.
        return verdict
    try:
        embedded, _info = read_embedded(data, refuse_too_large=True)
    except InflationRefused:
        verdict.reasons.append(
            _(
                "Daftar keputusan di dalam PDF terlalu besar untuk diperiksa; berkas ini bukan "
                "berita acara dari portal ini."
            )
        )
        return verdict
    if embedded is None:
        verdict.reasons.append(_("Daftar keputusan tidak ditemukan di dalam PDF."))
    else:
        verdict.embedded_sha256 = canonical.sha256_hex(embedded)
        owner = db.session.execute(
            select(BeritaAcara).where(
                BeritaAcara.sha256 == verdict.embedded_sha256, BeritaAcara.status == DONE
            )
        ).scalar_one_or_none()
        if ba is not None and verdict.embedded_sha256 != ba.sha256:
            if owner is not None:
                verdict.other = owner
                verdict.reasons.append(
                    _("PDF ini adalah berita acara musyawarah lain, bukan yang ini.")
                )
            else:
                verdict.reasons.append(
                    _("Hash daftar keputusan di PDF tidak cocok dengan yang tersimpan.")
                )
        elif ba is None and owner is None:
            verdict.reasons.append(_("Hash daftar keputusan tidak dikenal oleh portal ini."))
        elif ba is None:
            verdict.other = owner
    verdict.genuine = not verdict.reasons
    return verdict


def register_disagreements(meeting: Meeting, ba: BeritaAcara) -> list[str]:
    """A confirmed meeting's decisions as the register must hold them since the confirmation
    (the families of the signed list, by No. KK): every disagreement in words, none when the
    register agrees. Removals always hold (a family leaves the register once); a correction's
    values and a new family's members are checked while no later change of that family exists."""
    from portal.blueprints.register.models import REMOVED, Household, HouseholdEvent

    assert ba.canonical is not None  # a confirmed meeting's berita acara is done
    families = json.loads(ba.canonical).get("families") or {}
    rows = {kind: families.get(kind) or [] for kind in ("keluar", "perbaikan", "baru")}
    kks = [row.get("kk") for kind_rows in rows.values() for row in kind_rows if row.get("kk")]
    households = {
        h.kk: h
        for h in db.session.execute(select(Household).where(Household.kk.in_(kks))).scalars()
    }
    problems: list[str] = []
    for row in rows["keluar"]:
        household = households.get(row.get("kk"))
        if household is None:
            problems.append(
                _("KK %(kk)s yang dikeluarkan musyawarah ini tidak ada di register.", kk=row["kk"])
            )
        elif household.status != REMOVED or household.removed_meeting_id != meeting.id:
            problems.append(
                _(
                    "KK %(kk)s dikeluarkan oleh musyawarah ini, tetapi di register berstatus "
                    "%(status)s.",
                    kk=row["kk"],
                    status=household.status,
                )
            )
    for row in rows["perbaikan"] + rows["baru"]:
        household = households.get(row.get("kk"))
        if household is None:
            problems.append(
                _("KK %(kk)s yang diputuskan musyawarah ini tidak ada di register.", kk=row["kk"])
            )
            continue
        if _changed_since(household.id, meeting.id, HouseholdEvent):
            continue
        wrong = [
            change["field"]
            for change in row.get("changes") or []
            if hasattr(Household, change["field"])
            and getattr(household, change["field"]) != (change.get("after") or None)
        ]
        niks = {member.nik for member in household.members}
        wrong += [m["nik"] for m in row.get("members_removed") or [] if m.get("nik") in niks]
        wanted = list(row.get("members_added") or [])
        if isinstance(row.get("members"), list):  # a new family's members (else a count)
            wanted += row["members"]
        wrong += [m["nik"] for m in wanted if m.get("nik") and m["nik"] not in niks]
        if wrong:
            problems.append(
                _(
                    "Data KK %(kk)s di register tidak sesuai keputusan musyawarah ini "
                    "(%(fields)s).",
                    kk=row["kk"],
                    fields=", ".join(wrong),
                )
            )
    return problems


def _changed_since(household_id: int, meeting_id: int, events: Any) -> bool:
    """Has the family changed after the meeting's own change of it (a later meeting or import)?
    Then today's values are not the meeting's, and need not be."""
    own = db.session.execute(
        select(func.max(events.id)).where(
            events.household_id == household_id, events.meeting_id == meeting_id
        )
    ).scalar()
    if own is None:
        return False  # the meeting's change left no trace: the values are checked
    return (
        db.session.execute(
            select(events.id).where(events.household_id == household_id, events.id > own).limit(1)
        ).first()
        is not None
    )
