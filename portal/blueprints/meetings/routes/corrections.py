"""The corrections before the lock (issue 15): the batch decision's confirmation page, a decision
reopened with a reason, a walk-in corrected or removed. The rules are in
`services.reopening` and `services.walk_ins`. Every form works without JavaScript."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import require
from portal.blueprints.meetings import bp, services
from portal.blueprints.meetings.forms import LABELS, ParticipantForm, PlainForm
from portal.blueprints.meetings.routes.answers import (
    proposal_changed,
    proposal_refused,
    refused,
    show_on_form,
)
from portal.blueprints.meetings.routes.participants import participant_data
from portal.blueprints.meetings.routes.speedups import (
    load_meeting,
    load_meeting_and_participant,
    load_meeting_and_proposal,
)
from portal.blueprints.meetings.services import reopening, walk_ins
from portal.extensions import db
from portal.refusal import Refused


@bp.route("/<int:meeting_id>/putuskan-sekaligus", methods=["GET"])
@require("run_meeting")
def confirm_batch(meeting_id: int):
    """Asks before deciding many families at once: how many, of which kind; the form posts
    `confirm=1` and that number (refused by the service if the list changed meanwhile)."""
    meeting = load_meeting(meeting_id)
    items = db.session.execute(services.batch_candidates(meeting)).scalars().all()
    by_kind = {kind: sum(1 for p in items if p.kind == kind) for kind in ("keluar", "baru")}
    by_kind["perbaikan"] = len(items) - by_kind["keluar"] - by_kind["baru"]
    return render_template(
        "meetings/confirm_batch.html",
        meeting=meeting,
        count=len(items),
        by_kind=by_kind,
        quorum=services.attendance(meeting).quorum,
        plain=PlainForm(),
    )


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/koreksi", methods=["POST"])
@require("run_meeting")
def reopen_decision(meeting_id: int, proposal_id: int):
    """One decided proposal back to open, with the reason typed in its form."""
    meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    form = PlainForm()
    if not form.validate_on_submit():
        return proposal_refused(meeting_id, proposal_id, form)
    reason = (request.form.get("alasan") or "")[: reopening.REASON_MAX + 1]
    try:
        reopening.reopen_decision(meeting, proposal, user=current_user, reason=reason)
    except Refused as error:
        return proposal_refused(meeting_id, proposal_id, form, error)
    return proposal_changed(meeting, proposal, form)


@bp.route("/<int:meeting_id>/peserta/<int:participant_id>/ubah", methods=["GET", "POST"])
@require("run_meeting")
def edit_walk_in(meeting_id: int, participant_id: int):
    meeting, participant = load_meeting_and_participant(meeting_id, participant_id)
    form = ParticipantForm(obj=participant if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            walk_ins.correct_walk_in(
                meeting, participant, participant_data(form), user=current_user
            )
        except Refused as error:
            db.session.rollback()
            show_on_form(form, error)
            meeting, participant = load_meeting_and_participant(meeting_id, participant_id)
        else:
            db.session.commit()
            flash(_("Data peserta tambahan diperbaiki."), "success")
            return redirect(url_for("meetings.participants", meeting_id=meeting_id))
    return render_template(
        "meetings/walk_in_form.html",
        meeting=meeting,
        participant=participant,
        form=form,
        plain=PlainForm(),
        labels=LABELS,
    )


@bp.route("/<int:meeting_id>/peserta/<int:participant_id>/hapus-tambahan", methods=["POST"])
@require("run_meeting")
def remove_walk_in(meeting_id: int, participant_id: int):
    meeting, participant = load_meeting_and_participant(meeting_id, participant_id)
    if PlainForm().validate_on_submit():
        try:
            walk_ins.remove_walk_in(meeting, participant, user=current_user)
        except Refused as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("Peserta tambahan dihapus dari daftar hadir."), "info")
    return redirect(url_for("meetings.participants", meeting_id=meeting_id))
