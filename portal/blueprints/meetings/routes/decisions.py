"""The decisions: by consensus, by a counted tally, by a named vote (opened, each vote cast,
closed), the batch by consensus; the decided lists."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import require
from portal.blueprints.meetings import bp, services
from portal.blueprints.meetings.forms import LABELS, PlainForm, TallyForm
from portal.blueprints.meetings.models import Meeting, Participant, Proposal
from portal.blueprints.meetings.routes.answers import (
    back_to_proposal,
    proposal_changed,
    proposal_fragment,
    proposal_refused,
    refused,
)
from portal.blueprints.meetings.routes.speedups import (
    commit_keeping_loaded,
    load_meeting,
    load_meeting_and_proposal,
)
from portal.blueprints.meetings.services import as_signed
from portal.extensions import db, htmx
from portal.refusal import Refused


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/mufakat", methods=["POST"])
@require("run_meeting")
def decide_consensus(meeting_id: int, proposal_id: int):
    meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    form = PlainForm()
    if not form.validate_on_submit():
        return proposal_refused(meeting_id, proposal_id, form)
    try:
        services.decide_by_consensus(meeting, proposal, user=current_user)
    except Refused as error:
        return proposal_refused(meeting_id, proposal_id, form, error)
    return proposal_changed(meeting, proposal, form)


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/hitung", methods=["POST"])
@require("run_meeting")
def record_tally(meeting_id: int, proposal_id: int):
    # Outside the scope or missing: 404 before any message.
    meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    tally = TallyForm()
    if not tally.validate():
        flash(_("Isi jumlah suara dengan angka 0 atau lebih."), "error")
        if htmx:
            return proposal_fragment(meeting, proposal)
        return redirect(url_for("meetings.proposals", meeting_id=meeting_id))
    form = PlainForm()
    if not form.validate_on_submit():
        return proposal_refused(meeting_id, proposal_id, form)
    try:
        services.record_tally(
            meeting,
            proposal,
            user=current_user,
            yes=tally.yes.data or 0,
            no=tally.no.data or 0,
            abstain=tally.abstain.data or 0,
        )
    except Refused as error:
        return proposal_refused(meeting_id, proposal_id, form, error)
    return proposal_changed(meeting, proposal, form)


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/voting", methods=["POST"])
@require("run_meeting")
def open_named_vote(meeting_id: int, proposal_id: int):
    meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    form = PlainForm()
    if not form.validate_on_submit():
        return proposal_refused(meeting_id, proposal_id, form)
    try:
        services.open_named_vote(meeting, proposal, user=current_user)
    except Refused as error:
        return proposal_refused(meeting_id, proposal_id, form, error)
    return proposal_changed(meeting, proposal, form)


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/suara/<int:participant_id>", methods=["POST"])
@require("run_meeting")
def cast_vote(meeting_id: int, proposal_id: int, participant_id: int):
    """One tap per voter. For htmx, an accepted vote answers with the voter's line and the
    counts only; a refused one redraws the whole proposal in place of that line."""
    meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    # The answer lists the voters anyway: the voter is taken from that list (one query less).
    participant = next((p for p in meeting.participants if p.id == participant_id), None)
    if participant is None:
        abort(404)
    form = PlainForm()
    if not form.validate_on_submit():
        return proposal_refused(meeting_id, proposal_id, form, retarget=True)
    try:
        services.cast_vote(
            meeting, proposal, participant, request.form.get("pilihan", ""), user=current_user
        )
    except Refused as error:
        return proposal_refused(meeting_id, proposal_id, form, error, retarget=True)
    if not htmx:
        db.session.commit()
        return back_to_proposal(meeting_id, proposal_id)
    return _vote_line(meeting, proposal, participant, form)


def _vote_line(meeting: Meeting, proposal: Proposal, participant: Participant, form: PlainForm):
    """An accepted vote: only the voter's line and the counts change (a few hundred bytes, not
    the whole list of voters: it matters on a weak link in the village hall)."""
    chosen = services.named_choices(proposal)
    counts = services.named_tally(proposal, chosen)
    recused = services.recused_ids(meeting, proposal)
    commit_keeping_loaded()
    return render_template(
        "meetings/_vote_response.html",
        meeting=meeting,
        proposal=proposal,
        p=participant,
        counts=counts,
        chosen=chosen,
        recused=recused,
        plain=form,
    )


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/tutup", methods=["POST"])
@require("run_meeting")
def close_named_vote(meeting_id: int, proposal_id: int):
    meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    form = PlainForm()
    if not form.validate_on_submit():
        return proposal_refused(meeting_id, proposal_id, form)
    try:
        services.close_named_vote(meeting, proposal, user=current_user)
    except Refused as error:
        return proposal_refused(meeting_id, proposal_id, form, error)
    return proposal_changed(meeting, proposal, form)


@bp.route("/<int:meeting_id>/putuskan-sekaligus", methods=["POST"])
@require("run_meeting")
def decide_batch(meeting_id: int):
    """Many families at once: only from the confirmation page (the GET of this address), whose
    form sends `confirm=1` and the number it showed; anything else is sent there first."""
    meeting = load_meeting(meeting_id)
    expected = request.form.get("jumlah") or ""
    if request.form.get("confirm") != "1" or not re.fullmatch(r"[0-9]{1,6}", expected):
        return redirect(url_for("meetings.confirm_batch", meeting_id=meeting_id))
    if PlainForm().validate_on_submit():
        try:
            count = services.decide_batch(meeting, user=current_user, expected=int(expected))
        except Refused as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("%(n)d usulan tanpa keberatan diputuskan secara mufakat.", n=count), "success")
    return redirect(url_for("meetings.proposals", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/keputusan")
@require("view_meetings")
def decided(meeting_id: int):
    meeting = load_meeting(meeting_id)
    lists, signed = as_signed.decided_lists(meeting)
    return render_template(
        "meetings/decided.html",
        meeting=meeting,
        lists=lists,
        signed=signed,
        labels=LABELS,
    )
