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
from portal.blueprints.berita_acara import canonical, document, publication, scan, signing, trust
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
from portal.blueprints.notifications import services as notifications
from portal.blueprints.users.models import User
from portal.config import public_url
from portal.extensions import db
from portal.refusal import Refused
from portal.timeutil import utcnow

log = logging.getLogger(__name__)


class BeritaAcaraError(Refused):
    """The berita acara's rules refused the request."""


def of_meeting(meeting_id: int) -> BeritaAcara | None:
    return db.session.execute(
        select(BeritaAcara).where(BeritaAcara.meeting_id == meeting_id)
    ).scalar_one_or_none()


def request_lock(meeting: Meeting, *, user: Any) -> BeritaAcara:
    """Ask for the final berita acara; the job generates it and locks the meeting."""
    if meeting.state in states.SEALED:
        raise BeritaAcaraError(_("Berita acara musyawarah ini sudah dibuat dan dikunci."))
    states.check_move(meeting.state, "lock", user.role)
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
    if ba is not None and ba.generating:
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


def set_progress(ba_id: int, percent: float) -> None:
    """The job's progress bar (the job commits it: the page polls it while the PDF renders)."""
    db.session.execute(
        update(BeritaAcara)
        .where(BeritaAcara.id == ba_id, BeritaAcara.status == RUNNING)
        .values(progress=max(0, min(99, int(percent))))
    )


def record_failure(ba_id: int, message: str) -> None:
    """The job failed (after the caller's rollback): the request fails with `message`, the
    meeting stays decided."""
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


@dataclass(frozen=True)
class ToRender:
    """What the job renders and signs, read before the render (no transaction stays open)."""

    attempt: int
    canonical: bytes
    sha256: str
    verify_url: str
    number: str
    place: str


def start_generation(ba_id: int) -> ToRender | None:
    """The job begins: the request is running (None: not queued any more, nothing to do).
    Refused if the meeting is no longer decided."""
    ba = db.session.get(BeritaAcara, ba_id)
    if ba is None or ba.status != QUEUED:
        return None
    ba.status, ba.started_at, ba.progress = RUNNING, utcnow(), 2
    meeting = db.session.get(Meeting, ba.meeting_id)
    if meeting is None or meeting.state != states.DECIDED:
        raise BeritaAcaraError(_("Musyawarah tidak lagi berstatus diputuskan."))
    data, digest = decided_document(meeting)
    return ToRender(
        attempt=ba.attempt,
        canonical=data,
        sha256=digest,
        verify_url=verify_url(ba.verify_code),
        number=meeting.number,
        place=meeting.village.name,
    )


def lock_signed(
    ba_id: int,
    job: ToRender,
    signed: bytes,
    identity: signing.Identity,
    *,
    pages: int,
    seconds: float,
) -> bool:
    """The lock, with the signed PDF stored: the meeting row locked, the request still the
    current one, the decided list unchanged since the render (else the PDF would not be what is
    locked). False: a newer request superseded this job (that job finishes the work)."""
    ba = db.session.get_one(BeritaAcara, ba_id)
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
    if ba.status != RUNNING or ba.attempt != job.attempt:
        return False
    if meeting.state != states.DECIDED:
        raise BeritaAcaraError(_("Musyawarah tidak lagi berstatus diputuskan."))
    if decided_document(meeting)[1] != job.sha256:
        raise BeritaAcaraError(
            _("Keputusan berubah selama berita acara dibuat. Buat ulang berita acara.")
        )
    remember_certificate(identity)
    ba.canonical, ba.sha256 = job.canonical, job.sha256
    ba.pdf, ba.pdf_sha256, ba.pdf_size = signed, canonical.sha256_hex(signed), len(signed)
    ba.pages, ba.render_seconds = pages, round(seconds, 2)
    ba.signer_subject = identity.subject[:300]
    ba.signer_fingerprint = identity.fingerprint
    ba.signed_at = ba.finished_at = utcnow()
    ba.status, ba.progress, ba.error = DONE, 100, None
    requester = db.session.get(User, ba.requested_by) if ba.requested_by else None
    meetings.move(meeting, "lock", user=requester, by_owner=True)
    _audit(
        meeting,
        "berita_acara.locked",
        {"sha256": job.sha256, "pdf_sha256": ba.pdf_sha256, "pages": pages},
        user_id=ba.requested_by,
    )
    notifications.notify_ba_locked(meeting)  # the camat: a berita acara waits for them
    db.session.flush()
    return True


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
    mimetype = scan.check_file(data, max_bytes=limit)
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
    assert ba.canonical is not None  # a verification page shows a done berita acara
    document = json.loads(ba.canonical)
    if in_scope:
        return {"decided": document, "families_shown": FULL, "public_families": None}
    shown = PUBLIC if publication.decisions_public(ba.meeting) else COUNTS
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
        "public_families": publication.public_families(document) if shown == PUBLIC else None,
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
