from __future__ import annotations

import functools
import re

from flask import (
    Response,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from portal.access import can, get_scoped_or_404, require, scoped_select
from portal.blueprints.meetings import as_signed, bp, services, states
from portal.blueprints.meetings.forms import (
    PROPOSER_LABELS,
    REASON_LABELS,
    UNSUR_LABELS,
    CorrectionForm,
    MeetingForm,
    NewFamilyForm,
    ParticipantForm,
    PlainForm,
    RemovalForm,
    RulesForm,
    TallyForm,
)
from portal.blueprints.meetings.models import Meeting, Participant, Proposal
from portal.blueprints.meetings.sealed import reads_only
from portal.blueprints.regions.models import VILLAGE
from portal.blueprints.register.models import Household
from portal.blueprints.register.services import search_households
from portal.extensions import db, htmx
from portal.web import fragment_or_page, page_number

PROPOSALS_PER_PAGE = 50
LABELS = {"unsur": UNSUR_LABELS, "reason": REASON_LABELS, "proposer": PROPOSER_LABELS}


def _meeting(meeting_id: int) -> Meeting:
    """The meeting in the user's scope. A POST locks its row: every change of a meeting checks
    the state it has now, not the one another request is replacing (e.g. "decide" racing a
    check-in). The sealed-meeting check before the view has loaded it so already: taken once
    from there (a later call, e.g. after a rollback, loads it again)."""
    if request.method == "POST":
        loaded = g.pop("locked_meeting", None)
        if loaded is not None and loaded.id == meeting_id:
            return loaded
    return get_scoped_or_404(Meeting, meeting_id, lock=request.method == "POST")


def _proposal(meeting: Meeting, proposal_id: int) -> Proposal:
    proposal = _by_id(Proposal, proposal_id)
    if proposal is None or proposal.meeting_id != meeting.id:
        abort(404)
    return proposal


def _participant(meeting: Meeting, participant_id: int) -> Participant:
    participant = _by_id(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting.id:
        abort(404)
    return participant


def _by_id(model, ident: int):
    """The row by primary key, through a statement built once (`db.session.get` builds its
    query anew on every call)."""
    return db.session.execute(_by_id_statement(model), {"ident": ident}).scalar_one_or_none()


@functools.cache
def _by_id_statement(model):
    return select(model).where(model.__mapper__.primary_key[0] == bindparam("ident"))


def _attempt(action, *args, **kwargs) -> bool:
    """Call a service; on a refusal flash its message and roll back. True when it went through
    (not committed yet)."""
    try:
        action(*args, **kwargs)
    except services.MeetingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    return True


def _run(action, *args, **kwargs) -> bool:
    """`_attempt`, then commit. True when it went through."""
    if not _attempt(action, *args, **kwargs):
        return False
    db.session.commit()
    return True


def _commit_keeping_loaded() -> None:
    """Commit, and let the objects already loaded (the user, the meeting, its rows) keep the state
    just committed instead of expiring: the htmx answer rendered next loads none of them again."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _data(form: MeetingForm, meeting: Meeting | None = None) -> services.MeetingData:
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
    current = services.rules_for(current_user.region_code)
    form = RulesForm(obj=current)
    if form.validate_on_submit():
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
        except services.MeetingError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Aturan musyawarah disimpan."), "success")
            return redirect(url_for("meetings.rules"))
    return render_template("meetings/rules.html", form=form)


@bp.route("/baru", methods=["GET", "POST"])
@require("run_meeting")
def create():
    if current_user.region.level != VILLAGE:
        abort(403)
    form = MeetingForm()
    _signatory_choices(form, None)
    if form.validate_on_submit():
        try:
            meeting = services.create_meeting(
                current_user.region_code, _data(form), user=current_user
            )
        except services.MeetingError as error:
            getattr(form, error.field or "number").errors = [error.message]
        else:
            db.session.commit()
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=None)


@bp.route("/<int:meeting_id>")
@require("view_meetings")
def show(meeting_id: int):
    meeting = _meeting(meeting_id)
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
    meeting = _meeting(meeting_id)
    form = MeetingForm(obj=meeting)
    _signatory_choices(form, meeting)
    if request.method == "GET":
        form.version.data = str(meeting.version)
    if form.validate_on_submit():
        try:
            services.update_meeting(
                meeting,
                _data(form, meeting),
                version=int(form.version.data) if (form.version.data or "").isdigit() else -1,
                user=current_user,
            )
        except services.MeetingError as error:
            db.session.rollback()
            meeting = _meeting(meeting_id)
            target = getattr(form, error.field, None) if error.field else None
            if target is not None:
                target.errors = [error.message]
            else:
                form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Perubahan disimpan."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=meeting)


@bp.route("/<int:meeting_id>/langkah/<move>", methods=["POST"])
@require("view_meetings")
def make_move(meeting_id: int, move: str):
    meeting = _meeting(meeting_id)
    if PlainForm().validate_on_submit() and _run(
        services.move,
        meeting,
        move,
        user=current_user,
        note=(request.form.get("note") or "")[:1000] or None,
        confirm_other_day=request.form.get("confirm_other_day") == "1",
    ):
        flash(_("Status musyawarah: %(state)s.", state=meeting.state_label), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id))


# --- participants ---------------------------------------------------------------------------


def _participants_page(meeting: Meeting, form: ParticipantForm | None = None, status: int = 200):
    return render_template(
        "meetings/participants.html",
        meeting=meeting,
        form=form or ParticipantForm(),
        walk_in_form=ParticipantForm(prefix="tambahan"),
        plain=PlainForm(),
        summary=as_signed.summary(meeting),
        labels=LABELS,
        states=states,
    ), status


@bp.route("/<int:meeting_id>/peserta", methods=["GET", "POST"])
@require("view_meetings")
def participants(meeting_id: int):
    meeting = _meeting(meeting_id)
    form = ParticipantForm()
    if request.method == "POST":
        if not can("run_meeting"):
            abort(403)
        if form.validate_on_submit():
            try:
                services.add_participant(meeting, _participant_data(form), user=current_user)
            except services.MeetingError as error:
                db.session.rollback()
                meeting = _meeting(meeting_id)
                getattr(form, error.field or "name").errors = [error.message]
            else:
                db.session.commit()
                return redirect(url_for("meetings.participants", meeting_id=meeting_id))
    return _participants_page(meeting, form)


def _participant_data(form: ParticipantForm) -> services.ParticipantData:
    return services.ParticipantData(
        name=form.name.data or "",
        unsur=form.unsur.data or "",
        votes=bool(form.votes.data),
        position=form.position.data,
        nik=form.nik.data,
        phone=form.phone.data,
    )


@bp.route("/<int:meeting_id>/peserta/tambahan", methods=["POST"])
@require("run_meeting")
def walk_in(meeting_id: int):
    meeting = _meeting(meeting_id)
    form = ParticipantForm(prefix="tambahan")
    if form.validate_on_submit():
        _run(
            services.add_participant,
            meeting,
            _participant_data(form),
            user=current_user,
            walk_in=True,
        )
    else:
        flash(_("Nama dan unsur peserta tambahan wajib diisi."), "error")
    return redirect(url_for("meetings.participants", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/peserta/salin", methods=["POST"])
@require("run_meeting")
def copy_participants(meeting_id: int):
    meeting = _meeting(meeting_id)
    if PlainForm().validate_on_submit():
        try:
            added = services.copy_previous_participants(meeting, user=current_user)
        except services.MeetingError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(n)d peserta disalin dari musyawarah sebelumnya.", n=added), "success")
    return redirect(url_for("meetings.participants", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/peserta/<int:participant_id>/hapus", methods=["POST"])
@require("run_meeting")
def remove_participant(meeting_id: int, participant_id: int):
    meeting = _meeting(meeting_id)
    participant = _participant(meeting, participant_id)
    if PlainForm().validate_on_submit():
        _run(services.remove_participant, meeting, participant, user=current_user)
    return redirect(url_for("meetings.participants", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/peserta/<int:participant_id>/hadir", methods=["POST"])
@require("run_meeting")
def check_in(meeting_id: int, participant_id: int):
    """One tap. For htmx: the participant's row, and the summary out of band."""
    meeting = _meeting(meeting_id)
    participant = _participant(meeting, participant_id)
    present = request.form.get("hadir", "1") == "1"
    form = PlainForm()
    ok = form.validate_on_submit() and _attempt(
        services.check_in, meeting, participant, user=current_user, present=present
    )
    if not htmx:
        if ok:
            db.session.commit()
        return redirect(url_for("meetings.participants", meeting_id=meeting_id))
    if not ok:  # rolled back (or nothing done): show the rows as they are now
        meeting = _meeting(meeting_id)
        participant = _participant(meeting, participant_id)
    # Counted in the same transaction (the change included), then committed: no second round.
    summary = as_signed.summary(meeting)
    if ok:
        _commit_keeping_loaded()
    return render_template(
        "meetings/_check_in_response.html",
        meeting=meeting,
        p=participant,
        summary=summary,
        plain=form,
        labels=LABELS,
        states=states,
        refused=not ok,
    )


@bp.route("/<int:meeting_id>/daftar-hadir")
@require("view_meetings")
def attendance_sheet(meeting_id: int):
    meeting = _meeting(meeting_id)
    return render_template(
        "meetings/print_list.html", meeting=meeting, labels=LABELS, sheet="hadir"
    )


@bp.route("/<int:meeting_id>/undangan")
@require("view_meetings")
def invitation_list(meeting_id: int):
    meeting = _meeting(meeting_id)
    return render_template(
        "meetings/print_list.html", meeting=meeting, labels=LABELS, sheet="undangan"
    )


# --- proposals and decisions ----------------------------------------------------------------


@bp.route("/<int:meeting_id>/usulan")
@require("view_meetings")
def proposals(meeting_id: int):
    """Open items first, 50 a page: a village can bring hundreds of proposals."""
    meeting = _meeting(meeting_id)
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
        states=states,
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


def _household_in_meeting(meeting: Meeting, household_id: int) -> Household:
    household = db.session.get(Household, household_id)
    if household is None or household.village_code != meeting.village_code:
        abort(404)
    return household


def _save_proposal(form, create) -> bool:
    """Create the proposal (and its photo) through `create`; errors go onto the form."""
    try:
        proposal = create()
        upload = getattr(form, "photo", None)
        if upload is not None and upload.data:
            services.attach_photo(proposal, upload.data.read())
    except services.MeetingError as error:
        db.session.rollback()
        target = getattr(form, error.field, None) if error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            form.form_errors.append(error.message)
        return False
    db.session.commit()
    return True


@bp.route("/<int:meeting_id>/usulan/keluar/<int:household_id>", methods=["GET", "POST"])
@require("run_meeting")
def propose_removal(meeting_id: int, household_id: int):
    meeting = _meeting(meeting_id)
    household = _household_in_meeting(meeting, household_id)
    form = RemovalForm(household_id=str(household.id))
    if form.validate_on_submit() and _save_proposal(
        form,
        lambda: services.add_removal(
            meeting,
            household,
            reason=form.reason.data,
            reason_text=form.reason_text.data,
            proposer=form.proposer.data,
            proposer_name=form.proposer_name.data,
            note=form.note.data,
            user=current_user,
        ),
    ):
        flash(_("Usulan keluar dicatat."), "success")
        return redirect(url_for("meetings.proposals", meeting_id=meeting_id))
    return render_template(
        "meetings/propose.html",
        meeting=_meeting(meeting_id),
        household=household,
        form=form,
        kind="keluar",
    )


@bp.route("/<int:meeting_id>/usulan/perbaikan/<int:household_id>", methods=["GET", "POST"])
@require("run_meeting")
def propose_correction(meeting_id: int, household_id: int):
    meeting = _meeting(meeting_id)
    household = _household_in_meeting(meeting, household_id)
    form = CorrectionForm(
        obj=household if request.method == "GET" else None, household_id=str(household.id)
    )
    if form.validate_on_submit() and _save_proposal(
        form,
        lambda: services.add_correction(
            meeting,
            household,
            changes={n: getattr(form, n).data or "" for n in services.CORRECTABLE},
            remove_members=request.form.getlist("hapus_anggota"),
            add_members=services.parse_member_lines(form.new_members.data or ""),
            proposer=form.proposer.data,
            proposer_name=form.proposer_name.data,
            note=form.note.data,
            user=current_user,
        ),
    ):
        flash(_("Usulan perbaikan dicatat."), "success")
        return redirect(url_for("meetings.proposals", meeting_id=meeting_id))
    return render_template(
        "meetings/propose.html",
        meeting=_meeting(meeting_id),
        household=household,
        form=form,
        kind="perbaikan",
    )


@bp.route("/<int:meeting_id>/usulan/baru", methods=["GET", "POST"])
@require("run_meeting")
def propose_new_family(meeting_id: int):
    meeting = _meeting(meeting_id)
    form = NewFamilyForm()
    if form.validate_on_submit() and _save_proposal(
        form,
        lambda: services.add_new_family(
            meeting,
            kk=form.kk.data,
            alamat=form.alamat.data,
            rt=form.rt.data,
            rw=form.rw.data,
            members=services.parse_member_lines(form.members.data or ""),
            proposer=form.proposer.data,
            proposer_name=form.proposer_name.data,
            note=form.note.data,
            user=current_user,
        ),
    ):
        flash(_("Usulan keluarga baru dicatat."), "success")
        return redirect(url_for("meetings.proposals", meeting_id=meeting_id))
    return render_template(
        "meetings/propose.html",
        meeting=_meeting(meeting_id),
        household=None,
        form=form,
        kind="baru",
    )


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/foto")
@require("view_meetings")
def proposal_photo(meeting_id: int, proposal_id: int):
    from portal.blueprints.meetings.models import ProposalPhoto

    meeting = _meeting(meeting_id)
    proposal = _proposal(meeting, proposal_id)
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


def _proposal_action(
    meeting_id: int,
    proposal_id: int,
    action,
    *,
    meeting: Meeting | None = None,
    answer=None,
    **kwargs,
):
    """One action on a proposal: plain form → redirect; htmx → the proposal redrawn, or, with
    `answer(meeting, proposal, form)`, a smaller part the form aims at (a refusal then redraws
    the whole proposal in place of that part, with its message)."""
    meeting = meeting if meeting is not None else _meeting(meeting_id)
    proposal = _proposal(meeting, proposal_id)
    form = PlainForm()
    ok = False
    if form.validate_on_submit():
        ok = _attempt(action, meeting, proposal, user=current_user, **kwargs)
    else:
        flash(_("Token keamanan formulir tidak sah. Muat ulang halaman."), "error")
    if not htmx:
        if ok:
            db.session.commit()
        return redirect(
            url_for("meetings.proposals", meeting_id=meeting_id) + f"#usulan-{proposal_id}"
        )
    if not ok:  # rolled back (or nothing done): show the proposal as it is now
        meeting = _meeting(meeting_id)
        proposal = _proposal(meeting, proposal_id)
        if answer is not None:
            response = make_response(_proposal_fragment(meeting, proposal, plain=form))
            response.headers["HX-Retarget"] = f"#usulan-{proposal_id}"
            response.headers["HX-Reswap"] = "outerHTML"
            return response
    elif answer is not None:
        return answer(meeting, proposal, form)
    return _proposal_fragment(meeting, proposal, commit=ok, plain=form)


def _proposal_fragment(
    meeting: Meeting, proposal: Proposal, *, commit: bool = False, plain: PlainForm | None = None
):
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
        _commit_keeping_loaded()
    return render_template(
        "meetings/_proposal_response.html",
        meeting=meeting,
        proposal=proposal,
        summary=summary,
        named=named,
        plain=plain or PlainForm(),
        tally=TallyForm(),
        labels=LABELS,
        states=states,
        services=services,
    )


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/mufakat", methods=["POST"])
@require("run_meeting")
def decide_consensus(meeting_id: int, proposal_id: int):
    return _proposal_action(meeting_id, proposal_id, services.decide_by_consensus)


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/keberatan", methods=["POST"])
@require("run_meeting")
def toggle_disputed(meeting_id: int, proposal_id: int):
    return _proposal_action(
        meeting_id,
        proposal_id,
        services.set_disputed,
        disputed=request.form.get("keberatan") == "1",
    )


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/tarik", methods=["POST"])
@require("run_meeting")
def withdraw(meeting_id: int, proposal_id: int):
    meeting = _meeting(meeting_id)
    proposal = _proposal(meeting, proposal_id)
    if PlainForm().validate_on_submit() and _run(
        services.withdraw_proposal, meeting, proposal, user=current_user
    ):
        flash(_("Usulan ditarik."), "info")
    return redirect(url_for("meetings.proposals", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/hitung", methods=["POST"])
@require("run_meeting")
def record_tally(meeting_id: int, proposal_id: int):
    form = TallyForm()
    if not form.validate():
        meeting = _meeting(meeting_id)  # outside the scope or missing: 404 before any message
        proposal = _proposal(meeting, proposal_id)
        flash(_("Isi jumlah suara dengan angka 0 atau lebih."), "error")
        if htmx:
            return _proposal_fragment(meeting, proposal)
        return redirect(url_for("meetings.proposals", meeting_id=meeting_id))
    return _proposal_action(
        meeting_id,
        proposal_id,
        services.record_tally,
        yes=form.yes.data or 0,
        no=form.no.data or 0,
        abstain=form.abstain.data or 0,
    )


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/voting", methods=["POST"])
@require("run_meeting")
def open_named_vote(meeting_id: int, proposal_id: int):
    return _proposal_action(meeting_id, proposal_id, services.open_named_vote)


@bp.route("/<int:meeting_id>/usulan/<int:proposal_id>/suara/<int:participant_id>", methods=["POST"])
@require("run_meeting")
def cast_vote(meeting_id: int, proposal_id: int, participant_id: int):
    meeting = _meeting(meeting_id)
    # The answer lists the voters anyway: the voter is taken from that list (one query less).
    participant = next((p for p in meeting.participants if p.id == participant_id), None)
    if participant is None:
        abort(404)
    return _proposal_action(
        meeting_id,
        proposal_id,
        lambda m, p, user: services.cast_vote(
            m, p, participant, request.form.get("pilihan", ""), user=user
        ),
        meeting=meeting,
        answer=lambda m, p, form: _vote_answer(m, p, participant, form),
    )


def _vote_answer(meeting: Meeting, proposal: Proposal, participant, form: PlainForm):
    """An accepted vote: only the voter's line and the counts change (a few hundred bytes, not
    the whole list of voters: it matters on a weak link in the village hall)."""
    chosen = services.named_choices(proposal)
    counts = services.named_tally(proposal, chosen)
    recused = services.recused_ids(meeting, proposal)
    _commit_keeping_loaded()
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
    return _proposal_action(meeting_id, proposal_id, services.close_named_vote)


@bp.route("/<int:meeting_id>/putuskan-sekaligus", methods=["POST"])
@require("run_meeting")
def decide_batch(meeting_id: int):
    """Many families at once: only from the confirmation page (the GET of this address), whose
    form sends `confirm=1` and the number it showed; anything else is sent there first."""
    meeting = _meeting(meeting_id)
    expected = request.form.get("jumlah") or ""
    if request.form.get("confirm") != "1" or not re.fullmatch(r"[0-9]{1,6}", expected):
        return redirect(url_for("meetings.confirm_batch", meeting_id=meeting_id))
    if PlainForm().validate_on_submit():
        try:
            count = services.decide_batch(meeting, user=current_user, expected=int(expected))
        except services.MeetingError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(n)d usulan tanpa keberatan diputuskan secara mufakat.", n=count), "success")
    return redirect(url_for("meetings.proposals", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/keputusan")
@require("view_meetings")
def decided(meeting_id: int):
    meeting = _meeting(meeting_id)
    lists, signed = as_signed.decided_lists(meeting)
    return render_template(
        "meetings/decided.html",
        meeting=meeting,
        lists=lists,
        signed=signed,
        labels=LABELS,
    )
