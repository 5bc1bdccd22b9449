"""The proposals: the list, the family search, a removal, correction or new family proposed (with
its photo), the photo shown, a proposal withdrawn or marked disputed."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.access import get_scoped_or_404, require
from portal.blueprints.meetings import bp, services
from portal.blueprints.meetings.forms import (
    LABELS,
    CorrectionForm,
    NewFamilyForm,
    PlainForm,
    RemovalForm,
    TallyForm,
)
from portal.blueprints.meetings.models import Meeting, Proposal, ProposalPhoto
from portal.blueprints.meetings.routes.answers import (
    proposal_changed,
    proposal_refused,
    refused,
    show_on_form,
)
from portal.blueprints.meetings.routes.speedups import load_meeting, load_meeting_and_proposal
from portal.blueprints.meetings.sealed import reads_only
from portal.blueprints.meetings.services import as_signed
from portal.blueprints.register.models import Household
from portal.blueprints.register.services import search_households
from portal.extensions import db
from portal.refusal import Refused
from portal.web import fragment_or_page, page_number

PROPOSALS_PER_PAGE = 50


@bp.route("/<int:meeting_id>/usulan")
@require("view_meetings")
def proposals(meeting_id: int):
    """Open items first, 50 a page: a village can bring hundreds of proposals."""
    meeting = load_meeting(meeting_id)
    shown = request.args.get("tampil", "semua")
    stmt = (
        select(Proposal)
        .where(Proposal.meeting_id == meeting.id)
        .options(selectinload(Proposal.household).selectinload(Household.members))
        .order_by(Proposal.status.desc(), Proposal.id)
    )
    if shown in ("open", "decided"):
        stmt = stmt.where(Proposal.status == shown)
    page = db.paginate(
        stmt,
        page=request.args.get("halaman", 1, type=page_number),
        per_page=PROPOSALS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "meetings/proposals.html",
        meeting=meeting,
        proposals=page.items,
        page=page,
        shown=shown,
        summary=as_signed.summary(meeting),
        plain=PlainForm(),
        tally=TallyForm(),
        labels=LABELS,
        services=services,
    )


@bp.route("/<int:meeting_id>/keluarga", methods=["GET", "POST"])
@reads_only
@require("view_meetings")
def families(meeting_id: int):
    """Pick a family of the prelist to propose about (search by POST: no NIK in the URL)."""
    meeting = get_scoped_or_404(Meeting, meeting_id)  # a search changes nothing: no lock
    query = (request.form.get("q") or "").strip()[:100] if request.method == "POST" else ""
    if request.method == "POST" and not PlainForm().validate_on_submit():
        abort(400)
    page = db.paginate(
        search_households(meeting.village_code, query).options(selectinload(Household.members)),
        page=1,
        per_page=25,
        error_out=False,
    )
    proposed = set(
        db.session.execute(
            select(Proposal.household_id).where(
                Proposal.meeting_id == meeting.id, Proposal.household_id.is_not(None)
            )
        ).scalars()
    )
    return fragment_or_page(
        "meetings/families.html",
        "meetings/_families.html",
        meeting=meeting,
        page=page,
        query=query,
        proposed=proposed,
        plain=PlainForm(),
        labels=LABELS,
    )


# --- a proposal made ----------------------------------------------------------------------------


@bp.route("/<int:meeting_id>/usulan/keluar/<int:household_id>", methods=["GET", "POST"])
@require("run_meeting")
def propose_removal(meeting_id: int, household_id: int):
    meeting = load_meeting(meeting_id)
    household = _household_in_meeting(meeting, household_id)
    form = RemovalForm(household_id=str(household.id))
    if not form.validate_on_submit():
        return _propose_page(meeting, household, form, "keluar")
    try:
        proposal = services.add_removal(
            meeting,
            household,
            reason=form.reason.data,
            reason_text=form.reason_text.data,
            **_proposed_by(form),
        )
        _attach_photo(proposal, form)
    except Refused as error:
        return _not_saved(meeting_id, household, form, "keluar", error)
    return _saved(meeting_id, _("Usulan keluar dicatat."))


@bp.route("/<int:meeting_id>/usulan/perbaikan/<int:household_id>", methods=["GET", "POST"])
@require("run_meeting")
def propose_correction(meeting_id: int, household_id: int):
    meeting = load_meeting(meeting_id)
    household = _household_in_meeting(meeting, household_id)
    form = CorrectionForm(
        obj=household if request.method == "GET" else None, household_id=str(household.id)
    )
    if not form.validate_on_submit():
        return _propose_page(meeting, household, form, "perbaikan")
    try:
        proposal = services.add_correction(
            meeting,
            household,
            changes={n: getattr(form, n).data or "" for n in services.CORRECTABLE},
            remove_members=request.form.getlist("hapus_anggota"),
            add_members=services.parse_member_lines(form.new_members.data or ""),
            **_proposed_by(form),
        )
        _attach_photo(proposal, form)
    except Refused as error:
        return _not_saved(meeting_id, household, form, "perbaikan", error)
    return _saved(meeting_id, _("Usulan perbaikan dicatat."))


@bp.route("/<int:meeting_id>/usulan/baru", methods=["GET", "POST"])
@require("run_meeting")
def propose_new_family(meeting_id: int):
    meeting = load_meeting(meeting_id)
    form = NewFamilyForm()
    if not form.validate_on_submit():
        return _propose_page(meeting, None, form, "baru")
    try:
        proposal = services.add_new_family(
            meeting,
            kk=form.kk.data,
            alamat=form.alamat.data,
            rt=form.rt.data,
            rw=form.rw.data,
            members=services.parse_member_lines(form.members.data or ""),
            **_proposed_by(form),
        )
        _attach_photo(proposal, form)
    except Refused as error:
        return _not_saved(meeting_id, None, form, "baru", error)
    return _saved(meeting_id, _("Usulan keluarga baru dicatat."))


def _household_in_meeting(meeting: Meeting, household_id: int) -> Household:
    household = db.session.get(Household, household_id)
    if household is None or household.village_code != meeting.village_code:
        abort(404)
    return household


def _proposed_by(form: RemovalForm | CorrectionForm | NewFamilyForm) -> dict[str, Any]:
    """Who proposes, with the note, and the user recording it: alike on every proposal form."""
    return {
        "proposer": form.proposer.data,
        "proposer_name": form.proposer_name.data,
        "note": form.note.data,
        "user": current_user,
    }


def _attach_photo(proposal: Proposal, form: RemovalForm | CorrectionForm | NewFamilyForm) -> None:
    if form.photo.data:
        services.attach_photo(proposal, form.photo.data.read())


def _propose_page(meeting: Meeting, household: Household | None, form, kind: str) -> str:
    return render_template(
        "meetings/propose.html", meeting=meeting, household=household, form=form, kind=kind
    )


def _not_saved(
    meeting_id: int,
    household: Household | None,
    form,
    kind: str,
    error: Refused,
) -> str:
    """Refused: rolled back, the message on the form, the form again."""
    db.session.rollback()
    show_on_form(form, error)
    return _propose_page(load_meeting(meeting_id), household, form, kind)


def _saved(meeting_id: int, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("meetings.proposals", meeting_id=meeting_id))


# --- a proposal shown, withdrawn, disputed ------------------------------------------------------


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/foto")
@require("view_meetings")
def proposal_photo(meeting_id: int, proposal_id: int):
    _meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    photo = db.session.get(ProposalPhoto, proposal.id)
    if photo is None:
        abort(404)
    extension = "png" if photo.mimetype == "image/png" else "jpg"
    return Response(
        photo.content,
        mimetype=photo.mimetype,
        headers={
            "Content-Disposition": f'inline; filename="usulan-{proposal.id}.{extension}"',
            "Cache-Control": "private, max-age=3600",
        },
    )


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/tarik", methods=["POST"])
@require("run_meeting")
def withdraw(meeting_id: int, proposal_id: int):
    meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    if PlainForm().validate_on_submit():
        try:
            services.withdraw_proposal(meeting, proposal, user=current_user)
        except Refused as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("Usulan ditarik."), "info")
    return redirect(url_for("meetings.proposals", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/keberatan", methods=["POST"])
@require("run_meeting")
def toggle_disputed(meeting_id: int, proposal_id: int):
    meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    form = PlainForm()
    if not form.validate_on_submit():
        return proposal_refused(meeting_id, proposal_id, form)
    try:
        services.set_disputed(
            meeting, proposal, user=current_user, disputed=request.form.get("keberatan") == "1"
        )
    except Refused as error:
        return proposal_refused(meeting_id, proposal_id, form, error)
    return proposal_changed(meeting, proposal, form)
