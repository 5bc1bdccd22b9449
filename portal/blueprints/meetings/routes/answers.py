"""What the meeting views share at their end: a service's refusal turned into the answer (a
flash message, or the form's errors), and the answer to a change of one proposal (a redirect to
it, or for htmx the proposal redrawn with the summary)."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _

from portal.blueprints.meetings import services
from portal.blueprints.meetings.forms import LABELS, PlainForm, TallyForm
from portal.blueprints.meetings.models import Meeting, Proposal
from portal.blueprints.meetings.routes.speedups import (
    commit_keeping_loaded,
    load_meeting_and_proposal,
)
from portal.blueprints.meetings.services import as_signed
from portal.extensions import db, htmx
from portal.refusal import Refused


def refused(error: Refused) -> None:
    """A service refused: nothing of the attempt stays (rolled back); the user reads why."""
    db.session.rollback()
    flash(error.message, "error")


def show_on_form(form, error: Refused, default_field: str | None = None) -> None:
    """A refusal shown on the form: under the field it names (or `default_field`), else above
    the form. The caller has rolled back."""
    name = error.field or default_field
    target = getattr(form, name, None) if name else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


# --- one proposal changed -----------------------------------------------------------------------


def back_to_proposal(meeting_id: int, proposal_id: int):
    return redirect(url_for("meetings.proposals", meeting_id=meeting_id) + f"#usulan-{proposal_id}")


def proposal_changed(meeting: Meeting, proposal: Proposal, form: PlainForm):
    """The change went through: committed. A plain form goes back to the proposal; htmx gets
    the proposal redrawn and the summary out of band."""
    if not htmx:
        db.session.commit()
        return back_to_proposal(meeting.id, proposal.id)
    return proposal_fragment(meeting, proposal, commit=True, plain=form)


def proposal_refused(
    meeting_id: int,
    proposal_id: int,
    form: PlainForm,
    error: Refused | None = None,
    *,
    retarget: bool = False,
):
    """The change did not go through: the service's `error` (rolled back), or without one the
    form's token. htmx gets the proposal as it is now (loaded again); with `retarget`, in place
    of the smaller part the form aimed at (e.g. a voter's line)."""
    if error is not None:
        refused(error)
    else:
        flash(_("Token keamanan formulir tidak sah. Muat ulang halaman."), "error")
    if not htmx:
        return back_to_proposal(meeting_id, proposal_id)
    meeting, proposal = load_meeting_and_proposal(meeting_id, proposal_id)
    response = make_response(proposal_fragment(meeting, proposal, plain=form))
    if retarget:
        response.headers["HX-Retarget"] = f"#usulan-{proposal_id}"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def proposal_fragment(
    meeting: Meeting, proposal: Proposal, *, commit: bool = False, plain: PlainForm | None = None
) -> str:
    """The proposal and the summary (out of band). With `commit`, what the answer shows is read
    in the request's transaction, which is committed before rendering."""
    summary = as_signed.summary(meeting)
    named = None
    if proposal.vote_mode == "named" and proposal.status == "open":
        named = (services.named_tally(proposal), services.recused_ids(meeting, proposal))
    # Loaded now, in the transaction, what the fragment shows: the family head, the voters.
    if proposal.household is not None:
        proposal.household.head  # noqa: B018
    if named is not None:
        meeting.participants  # noqa: B018
    if commit:
        commit_keeping_loaded()
    return render_template(
        "meetings/_proposal_response.html",
        meeting=meeting,
        proposal=proposal,
        summary=summary,
        named=named,
        plain=plain or PlainForm(),
        tally=TallyForm(),
        labels=LABELS,
        services=services,
    )
