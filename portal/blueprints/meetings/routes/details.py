"""The meetings list, the kabupaten's rules, a meeting created, shown, edited and moved on
through its states."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import require, scoped_select
from portal.blueprints.meetings import bp, services, states
from portal.blueprints.meetings.forms import LABELS, MeetingForm, PlainForm, RulesForm
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.meetings.routes.answers import refused, show_on_form
from portal.blueprints.meetings.routes.speedups import load_meeting
from portal.blueprints.meetings.services import as_signed
from portal.blueprints.regions.models import VILLAGE
from portal.extensions import db
from portal.refusal import Refused


@bp.route("/")
@require("view_meetings")
def index():
    meetings = (
        db.session.execute(
            scoped_select(Meeting)
            .order_by(Meeting.meeting_date.desc(), Meeting.id.desc())
            .limit(200)
        )
        .scalars()
        .all()
    )
    return render_template("meetings/index.html", meetings=meetings)


@bp.route("/aturan", methods=["GET", "POST"])
@require("set_meeting_rules")
def rules():
    """The admin's kabupaten: quorum and majority for meetings created from now on."""
    form = RulesForm(obj=services.rules_for(current_user.region_code))
    if not form.validate_on_submit():
        return render_template("meetings/rules.html", form=form)
    try:
        services.set_rules(
            current_user.region_code,
            quorum=(form.quorum_num.data, form.quorum_den.data),
            majority=(form.majority_num.data, form.majority_den.data),
            camat_block=bool(form.ba_camat_block.data),
            cycle_last_day=form.cycle_last_day.data,
            stale_months=form.stale_months.data,
            public_transparency=bool(form.public_transparency.data),
            user=current_user,
        )
    except Refused as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return render_template("meetings/rules.html", form=form)
    db.session.commit()
    flash(_("Aturan musyawarah disimpan."), "success")
    return redirect(url_for("meetings.rules"))


@bp.route("/baru", methods=["GET", "POST"])
@require("run_meeting")
def create():
    if current_user.region.level != VILLAGE:
        abort(403)
    form = MeetingForm()
    _signatory_choices(form, None)
    if not form.validate_on_submit():
        return render_template("meetings/form.html", form=form, meeting=None)
    try:
        meeting = services.create_meeting(
            current_user.region_code, _meeting_data(form), user=current_user
        )
    except Refused as error:
        show_on_form(form, error, default_field="number")
        return render_template("meetings/form.html", form=form, meeting=None)
    db.session.commit()
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>")
@require("view_meetings")
def show(meeting_id: int):
    meeting = load_meeting(meeting_id)
    scheduled, today = services.opening_day(meeting)
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        other_day=(scheduled, today) if scheduled != today else None,
        summary=as_signed.summary(meeting),
        moves=states.available_moves(meeting.state, current_user.role),
        form=PlainForm(),
        labels=LABELS,
    )


@bp.route("/<int:meeting_id>/ubah", methods=["GET", "POST"])
@require("run_meeting")
def edit(meeting_id: int):
    meeting = load_meeting(meeting_id)
    form = MeetingForm(obj=meeting)
    _signatory_choices(form, meeting)
    if request.method == "GET":
        form.version.data = str(meeting.version)
    if not form.validate_on_submit():
        return render_template("meetings/form.html", form=form, meeting=meeting)
    try:
        services.update_meeting(
            meeting,
            _meeting_data(form, meeting),
            version=int(form.version.data) if (form.version.data or "").isdigit() else -1,
            user=current_user,
        )
    except Refused as error:
        db.session.rollback()
        show_on_form(form, error)
        return render_template("meetings/form.html", form=form, meeting=load_meeting(meeting_id))
    db.session.commit()
    flash(_("Perubahan disimpan."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.route("/<int:meeting_id>/langkah/<move>", methods=["POST"])
@require("view_meetings")
def make_move(meeting_id: int, move: str):
    meeting = load_meeting(meeting_id)
    if PlainForm().validate_on_submit():
        try:
            services.move(
                meeting,
                move,
                user=current_user,
                note=(request.form.get("note") or "")[:1000] or None,
                confirm_other_day=request.form.get("confirm_other_day") == "1",
            )
        except Refused as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("Status musyawarah: %(state)s.", state=meeting.state_label), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


def _meeting_data(form: MeetingForm, meeting: Meeting | None = None) -> services.MeetingData:
    """The form as the services take it; for an existing meeting, the signatories picked from
    its participants."""
    data = services.MeetingData(
        number=form.number.data or "",
        meeting_date=form.meeting_date.data,
        start_time=form.start_time.data,
        place=form.place.data or "",
        agenda=form.agenda.data,
        chair_name=form.chair_name.data or "",
        notulen_name=form.notulen_name.data or "",
        period=form.period.data or "",
        bpd_name=form.bpd_name.data,
    )
    if meeting is not None:
        services.pick_signatories(
            meeting,
            data,
            chair=form.chair_pick.data,
            notulen=form.notulen_pick.data,
            bpd=form.bpd_pick.data,
        )
    return data


def _signatory_choices(form: MeetingForm, meeting: Meeting | None) -> None:
    """The participants as choices for each signatory, the one whose name is set preselected."""
    people = list(meeting.participants) if meeting is not None else []
    for pick, name in (
        (form.chair_pick, "chair_name"),
        (form.notulen_pick, "notulen_name"),
        (form.bpd_pick, "bpd_name"),
    ):
        pick.choices = [("", _("— ketik nama di bawah —"))] + [
            (str(p.id), f"{p.name} ({p.position})" if p.position else p.name) for p in people
        ]
        if request.method == "GET" and meeting is not None:
            current = getattr(meeting, name)
            pick.data = next((str(p.id) for p in people if p.name == current), "")
