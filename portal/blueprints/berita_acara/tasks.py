"""The berita acara's background job: render, sign, lock (never inside a web request).

The job owns its transactions (the services it calls only flush): the request marked running is
committed before the render, so the page shows it; no transaction stays open while the PDF
renders; the progress is committed as it goes; the lock is one transaction; a failure is
rolled back and recorded, and the meeting stays decided.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _

from portal.blueprints.berita_acara import services, signing
from portal.blueprints.notifications import services as notifications
from portal.extensions import db
from portal.jobs import huey, with_app_context
from portal.refusal import Refused

log = logging.getLogger(__name__)


@huey.task()
@with_app_context
def generate_task(ba_id: int, base_url: str | None = None) -> None:
    """`base_url` is ignored (jobs queued by an earlier version still carry it): the address in
    the PDF comes from PUBLIC_BASE_URL only."""
    generate(ba_id)


def _progress(ba_id: int, percent: float) -> None:
    services.set_progress(ba_id, percent)
    db.session.commit()


def _fail(ba_id: int, message: str) -> None:
    db.session.rollback()
    services.record_failure(ba_id, message)
    db.session.commit()


def generate(ba_id: int) -> None:
    """Render, sign, then lock, in that order; any failure leaves the meeting decided."""
    # WeasyPrint loads with the renderer (~0.7 s): only a job that renders pays for it.
    from portal.blueprints.berita_acara.rendering import pipeline

    try:
        job = services.start_generation(ba_id)
    except Refused as refused:
        db.session.commit()  # the request is running, then it fails with the reason
        _fail(ba_id, refused.message)
        return
    if job is None:
        return
    db.session.commit()  # no transaction stays open while the PDF renders
    try:
        result = pipeline.render_ba_pdf(
            job.canonical,
            sha256=job.sha256,
            verify_url=job.verify_url,
            progress=lambda percent: _progress(ba_id, 5 + percent * 0.85),
        )
        identity = signing.load_identity()
        signed = signing.sign_pdf(
            result.pdf,
            identity,
            field_name="PortalMusyawarah",
            reason=f"Berita acara {job.number}; SHA-256 keputusan {job.sha256}",
            location=job.place,
        )
        _progress(ba_id, 95)
        if not services.lock_signed(
            ba_id, job, signed, identity, pages=result.pages, seconds=result.seconds
        ):
            db.session.rollback()
            return  # superseded by a newer request: that job finishes the work
        db.session.commit()
        notifications.send_queued_emails()
    except Exception as error:  # any failure: the meeting stays decided
        log.exception("berita acara %s: generation failed", ba_id)
        message = error.message if isinstance(error, Refused) else None
        _fail(
            ba_id,
            message
            or _("Pembuatan berita acara gagal (%(kind)s). Coba lagi.", kind=type(error).__name__),
        )
