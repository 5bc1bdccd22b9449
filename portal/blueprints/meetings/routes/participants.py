"""The participants: invited, walked in, copied from the previous meeting, removed; the
check-in tap at the door; the printed attendance sheet and invitation list."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import can, require
from portal.blueprints.meetings import bp, services
from portal.blueprints.meetings.forms import LABELS, ParticipantForm, PlainForm
from portal.blueprints.meetings.models import Meeting, Participant
from portal.blueprints.meetings.routes.answers import refused, show_on_form
from portal.blueprints.meetings.routes.speedups import (
    commit_keeping_loaded,
    load_meeting,
    load_meeting_and_participant,
)
from portal.blueprints.meetings.services import as_signed
from portal.extensions import db, htmx
from portal.refusal import Refused


def participant_data(form: ParticipantForm) -> services.ParticipantData:
    """The participant form as the services take it."""
    return services.ParticipantData(
        name=form.name.data or "",
        unsur=form.unsur.data or "",
        votes=bool(form.votes.data),
        position=form.position.data,
        nik=form.nik.data,
        phone=form.phone.data,
    )


def _back_to_participants(meeting_id: int):
    return redirect(url_for("meetings.participants", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/peserta", methods=["GET", "POST"])
@require("view_meetings")
def participants(meeting_id: int):
    meeting = load_meeting(meeting_id)
    form = ParticipantForm()
    if request.method == "POST" and not can("run_meeting"):
        abort(403)
    if not form.validate_on_submit():
        return _participants_page(meeting, form)
    try:
        services.add_participant(meeting, participant_data(form), user=current_user)
    except Refused as error:
        db.session.rollback()
        show_on_form(form, error, default_field="name")
        return _participants_page(load_meeting(meeting_id), form)
    db.session.commit()
    return _back_to_participants(meeting_id)


def _participants_page(meeting: Meeting, form: ParticipantForm):
    return render_template(
        "meetings/participants.html",
        meeting=meeting,
        form=form,
        walk_in_form=ParticipantForm(prefix="tambahan"),
        plain=PlainForm(),
        summary=as_signed.summary(meeting),
        labels=LABELS,
    )


@bp.route("/<int:meeting_id>/peserta/tambahan", methods=["POST"])
@require("run_meeting")
def walk_in(meeting_id: int):
    meeting = load_meeting(meeting_id)
    form = ParticipantForm(prefix="tambahan")
    if not form.validate_on_submit():
        flash(_("Nama dan unsur peserta tambahan wajib diisi."), "error")
        return _back_to_participants(meeting_id)
    try:
        services.add_participant(meeting, participant_data(form), user=current_user, walk_in=True)
    except Refused as error:
        refused(error)
    else:
        db.session.commit()
    return _back_to_participants(meeting_id)


@bp.route("/<int:meeting_id>/peserta/salin", methods=["POST"])
@require("run_meeting")
def copy_participants(meeting_id: int):
    meeting = load_meeting(meeting_id)
    if PlainForm().validate_on_submit():
        try:
            added = services.copy_previous_participants(meeting, user=current_user)
        except Refused as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("%(n)d peserta disalin dari musyawarah sebelumnya.", n=added), "success")
    return _back_to_participants(meeting_id)


@bp.route("/<int:meeting_id>/peserta/<int:participant_id>/hapus", methods=["POST"])
@require("run_meeting")
def remove_participant(meeting_id: int, participant_id: int):
    meeting, participant = load_meeting_and_participant(meeting_id, participant_id)
    if PlainForm().validate_on_submit():
        try:
            services.remove_participant(meeting, participant, user=current_user)
        except Refused as error:
            refused(error)
        else:
            db.session.commit()
    return _back_to_participants(meeting_id)


@bp.route("/<int:meeting_id>/peserta/<int:participant_id>/hadir", methods=["POST"])
@require("run_meeting")
def check_in(meeting_id: int, participant_id: int):
    """One tap. For htmx: the participant's row, and the summary out of band."""
    meeting, participant = load_meeting_and_participant(meeting_id, participant_id)
    present = request.form.get("hadir", "1") == "1"
    form = PlainForm()
    if not form.validate_on_submit():
        return _check_in_refused(meeting_id, participant_id, form)
    try:
        services.check_in(meeting, participant, user=current_user, present=present)
    except Refused as error:
        refused(error)
        return _check_in_refused(meeting_id, participant_id, form)
    if not htmx:
        db.session.commit()
        return _back_to_participants(meeting_id)
    # Counted in the same transaction (the change included), then committed: no second round.
    summary = as_signed.summary(meeting)
    commit_keeping_loaded()
    return _check_in_row(meeting, participant, summary, form, went_through=True)


def _check_in_refused(meeting_id: int, participant_id: int, form: PlainForm):
    """Nothing done (or rolled back): htmx gets the row as it is now, loaded again."""
    if not htmx:
        return _back_to_participants(meeting_id)
    meeting, participant = load_meeting_and_participant(meeting_id, participant_id)
    summary = as_signed.summary(meeting)
    return _check_in_row(meeting, participant, summary, form, went_through=False)


def _check_in_row(
    meeting: Meeting, participant: Participant, summary, form: PlainForm, *, went_through: bool
) -> str:
    return render_template(
        "meetings/_check_in_response.html",
        meeting=meeting,
        p=participant,
        summary=summary,
        plain=form,
        labels=LABELS,
        refused=not went_through,
    )


@bp.route("/<int:meeting_id>/daftar-hadir")
@require("view_meetings")
def attendance_sheet(meeting_id: int):
    meeting = load_meeting(meeting_id)
    return render_template(
        "meetings/print_list.html", meeting=meeting, labels=LABELS, sheet="hadir"
    )


@bp.route("/<int:meeting_id>/undangan")
@require("view_meetings")
def invitation_list(meeting_id: int):
    meeting = load_meeting(meeting_id)
    return render_template(
        "meetings/print_list.html", meeting=meeting, labels=LABELS, sheet="undangan"
    )
