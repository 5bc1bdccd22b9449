"""The camat's inbox of locked meetings, the review page, confirm and return; the countersigned
berita acara for everyone who may see the meeting."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.access import get_scoped_or_404, require
from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara.models import DONE, BeritaAcara
from portal.blueprints.meetings import states
from portal.blueprints.meetings.forms import LABELS
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.notifications.services import send_queued_emails
from portal.blueprints.review import services, warnings
from portal.blueprints.review.forms import AddendumForm, ConfirmForm, ReturnForm
from portal.blueprints.review.models import CONFIRMED
from portal.extensions import db
from portal.refusal import Refused

bp = Blueprint("review", __name__)


@bp.app_template_test("sealed")
def is_sealed(meeting) -> bool:
    """`{% if meeting is sealed %}`: locked with its berita acara (the camat's part begins)."""
    return meeting.state in states.SEALED


@bp.app_template_global()
def review_of(meeting_id: int):
    return services.review_of(meeting_id)


@bp.app_template_global()
def reviews_waiting() -> int:
    """How many locked berita acara in the user's scope wait for the camat."""
    from sqlalchemy import func, select

    return db.session.scalar(select(func.count()).select_from(services.inbox().subquery())) or 0


@bp.app_template_global()
def addendum_of(meeting_id: int):
    return services.addendum_of(meeting_id)


@bp.route("/")
@require("review_meetings")
def inbox():
    waiting = []
    for meeting, ba in db.session.execute(services.inbox().limit(200)).all():
        found = warnings.for_meeting(meeting, ba, services.decided_document(ba))
        waiting.append((meeting, ba, found))
    recent = db.session.execute(services.reviewed()).all()
    return render_template("review/inbox.html", waiting=waiting, recent=recent)


def _locked_meeting(meeting_id: int, *, lock: bool = False) -> tuple[Meeting, BeritaAcara]:
    meeting = get_scoped_or_404(Meeting, meeting_id, lock=lock)
    ba = ba_services.of_meeting(meeting.id)
    if ba is None or ba.status != DONE:
        abort(404)
    return meeting, ba


def _page(meeting: Meeting, ba: BeritaAcara, confirm_form=None, return_form=None, status=200):
    document = services.decided_document(ba)
    review = services.review_of(meeting.id)
    found = warnings.for_meeting(meeting, ba, document) if review is None else []
    body = render_template(
        "review/show.html",
        meeting=meeting,
        ba=ba,
        document=document,
        review=review,
        warnings=found,
        confirm_form=confirm_form or ConfirmForm(),
        return_form=return_form or ReturnForm(),
        labels=LABELS,
    )
    return body, status


@bp.route("/<int:meeting_id>")
@require("review_meetings")
def show(meeting_id: int):
    meeting, ba = _locked_meeting(meeting_id)
    return _page(meeting, ba)


@bp.route("/<int:meeting_id>/konfirmasi", methods=["POST"])
@require("review_meetings")
def confirm(meeting_id: int):
    meeting, ba = _locked_meeting(meeting_id, lock=True)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(meeting, ba, confirm_form=form, status=422)
    try:
        services.confirm(meeting, user=current_user, note=form.note.data)
    except Refused as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("review.show", meeting_id=meeting_id))
    db.session.commit()
    send_queued_emails()
    flash(
        _(
            "Musyawarah dikonfirmasi. Register desa sudah diperbarui; sekretaris desa dan "
            "operator diberi tahu."
        )
    )
    return redirect(url_for("review.show", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/kembalikan", methods=["POST"])
@require("review_meetings")
def return_meeting(meeting_id: int):
    meeting, ba = _locked_meeting(meeting_id, lock=True)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _page(meeting, ba, return_form=form, status=422)
    try:
        services.return_meeting(meeting, user=current_user, note=form.note.data)
    except Refused as error:
        db.session.rollback()
        if error.field == "note":
            form.note.errors = [error.message]
            return _page(*_locked_meeting(meeting_id), return_form=form, status=422)
        flash(error.message, "error")
        return redirect(url_for("review.show", meeting_id=meeting_id))
    db.session.commit()
    send_queued_emails()
    flash(_("Musyawarah dikembalikan kepada sekretaris desa dengan catatan Anda."))
    return redirect(url_for("review.show", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/berita-acara-dikonfirmasi.pdf")
@require("view_meetings")
def countersigned_pdf(meeting_id: int):
    meeting = get_scoped_or_404(Meeting, meeting_id)
    review = services.review_of(meeting.id)
    if review is None or review.outcome != CONFIRMED:
        abort(404)
    audit.record(
        "berita_acara.download_confirmed_pdf",
        object_type="meeting",
        object_id=meeting.id,
        region_code=meeting.village_code,
    )
    db.session.commit()
    response = Response(review.pdf, mimetype="application/pdf")
    filename = f"berita-acara-{meeting.id}-dikonfirmasi.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:meeting_id>/adendum", methods=["POST"])
@require("run_meeting")
def addendum(meeting_id: int):
    """The secretary corrects a returned meeting with an addendum meeting (a new draft)."""
    returned = get_scoped_or_404(Meeting, meeting_id, lock=True)
    if not AddendumForm().validate_on_submit():
        abort(400)
    try:
        meeting = services.create_addendum(returned, user=current_user)
    except Refused as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("meetings.show", meeting_id=meeting_id))
    db.session.commit()
    flash(_("Musyawarah adendum dibuat sebagai draf. Periksa data, undangan dan usulannya."))
    return redirect(url_for("meetings.show", meeting_id=meeting.id))
