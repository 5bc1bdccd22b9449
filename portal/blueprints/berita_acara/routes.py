"""Berita acara routes: generate-and-lock, progress, downloads, the scan; public verification."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import can, covers, get_scoped_or_404, require
from portal.blueprints.berita_acara import services
from portal.blueprints.berita_acara.forms import RequestForm, ScanForm, VerifyForm
from portal.blueprints.berita_acara.models import DONE, BeritaAcara
from portal.blueprints.meetings.forms import REASON_LABELS
from portal.blueprints.meetings.models import Meeting
from portal.extensions import db, htmx, limiter
from portal.personal_data import mask_id
from portal.refusal import Refused
from portal.web import fragment_or_page

bp = Blueprint("berita_acara", __name__)
public_bp = Blueprint("verification", __name__)


@bp.app_template_global()
def scan_refusal(meeting: Meeting) -> str | None:
    """Why the scan may not be uploaded now (the panel then shows this instead of the form)."""
    return services.scan_refusal(meeting)


def _meeting(meeting_id: int, *, lock: bool = False) -> Meeting:
    return get_scoped_or_404(Meeting, meeting_id, lock=lock)


def _panel(meeting: Meeting):
    return render_template("berita_acara/_panel.html", meeting=meeting)


@bp.route("/<int:meeting_id>/berita-acara", methods=["POST"])
@require("run_meeting")
def request_lock(meeting_id: int):
    meeting = _meeting(meeting_id, lock=True)
    if RequestForm().validate_on_submit():
        try:
            ba = services.request_lock(meeting, user=current_user)
        except Refused as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            from portal.blueprints.berita_acara.tasks import generate_task

            generate_task(ba.id)
            flash(_("Berita acara sedang dibuat. Musyawarah dikunci setelah PDF tersimpan."))
    if htmx:
        current = db.session.get(Meeting, meeting_id)
        assert current is not None  # loaded above, within its scope
        return _panel(current)
    return redirect(url_for("meetings.show", meeting_id=meeting_id) + "#berita-acara")


@bp.route("/<int:meeting_id>/berita-acara/status")
@require("view_meetings")
def status(meeting_id: int):
    meeting = _meeting(meeting_id)
    if not htmx:
        return redirect(url_for("meetings.show", meeting_id=meeting_id) + "#berita-acara")
    return _panel(meeting)


def _done(meeting_id: int) -> BeritaAcara:
    _meeting(meeting_id)
    ba = services.of_meeting(meeting_id)
    if ba is None or ba.status != DONE:
        abort(404)
    return ba


def _download(data: bytes, mimetype: str | None, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _log_download(ba: BeritaAcara, what: str) -> None:
    from portal import audit

    audit.record(
        f"berita_acara.download_{what}",
        object_type="meeting",
        object_id=ba.meeting_id,
        region_code=ba.meeting.village_code,
    )
    db.session.commit()


@bp.route("/<int:meeting_id>/berita-acara.pdf")
@require("view_meetings")
def pdf(meeting_id: int):
    ba = _done(meeting_id)
    _log_download(ba, "pdf")
    assert ba.pdf is not None  # done: the table's check
    return _download(ba.pdf, "application/pdf", f"berita-acara-{meeting_id}.pdf")


@bp.route("/<int:meeting_id>/berita-acara/keputusan.json")
@require("view_meetings")
def canonical_json(meeting_id: int):
    """The exact bytes whose SHA-256 the berita acara carries (recompute it yourself)."""
    ba = _done(meeting_id)
    _log_download(ba, "json")
    assert ba.canonical is not None  # done: the table's check
    return _download(ba.canonical, "application/json", f"keputusan-{meeting_id}.json")


SCAN_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@bp.route("/<int:meeting_id>/berita-acara/pindaian", methods=["GET", "POST"])
@require("view_meetings")
def scan(meeting_id: int):
    if request.method == "GET":
        ba = _done(meeting_id)
        if ba.scan is None:
            abort(404)
        _log_download(ba, "scan")
        extension = SCAN_EXTENSIONS.get(ba.scan_mimetype or "", "bin")
        return _download(ba.scan, ba.scan_mimetype, f"pindaian-ba-{meeting_id}.{extension}")
    if not can("run_meeting"):
        abort(403)
    meeting = _meeting(meeting_id, lock=True)
    form = ScanForm()
    if form.validate_on_submit():
        upload = form.scan.data
        from flask import current_app

        # One byte past the cap is enough for the service to refuse a file as too large.
        limit = current_app.config.get("BA_SCAN_MAX_BYTES", 10 * 1024 * 1024)
        data = upload.read(limit + 1) if upload else b""
        try:
            services.attach_scan(meeting, data, user=current_user)
        except Refused as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Pindaian berita acara tersimpan."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id) + "#berita-acara")


# --- public verification ---------------------------------------------------------------------


def _public_ba(code: str) -> BeritaAcara:
    if not (10 <= len(code) <= 32):
        abort(404)
    ba = db.session.execute(
        db.select(BeritaAcara).where(BeritaAcara.verify_code == code, BeritaAcara.status == DONE)
    ).scalar_one_or_none()
    if ba is None:
        abort(404)
    return ba


def _verification(ba: BeritaAcara, form: VerifyForm, verdict=None) -> dict:
    """The page's context: what a reader may see of the families is decided by their scope
    over the village and, for everyone else, by the transparency page's rule."""
    return dict(
        services.verification_view(ba, in_scope=covers(ba.meeting.village_code)),
        ba=ba,
        meeting=ba.meeting,
        form=form,
        verdict=verdict,
        mask=mask_id,
        reason_labels=REASON_LABELS,
    )


@public_bp.route("/<code>", methods=["GET"])
def show(code: str):
    return render_template(
        "berita_acara/verify.html", **_verification(_public_ba(code), VerifyForm())
    )


def _verify_limit() -> str:
    from flask import current_app

    return current_app.config["VERIFY_UPLOAD_LIMIT"]


@public_bp.route("/<code>", methods=["POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def check(code: str):
    ba = _public_ba(code)
    form = VerifyForm()
    verdict = None
    if form.validate_on_submit():
        upload = form.pdf.data
        data = upload.read() if upload else b""
        if not data:
            form.pdf.errors = [_("Pilih berkas PDF yang akan diperiksa.")]
        else:
            verdict = services.check_file(data, ba)
    return fragment_or_page(
        "berita_acara/verify.html", "berita_acara/_verdict.html", **_verification(ba, form, verdict)
    )
