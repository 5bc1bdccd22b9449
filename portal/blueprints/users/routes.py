from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import get_scoped_or_404, require
from portal.audit import AuditEntry
from portal.blueprints.users import bp
from portal.blueprints.users import services as users
from portal.blueprints.users.forms import ROLE_LABELS, EditUserForm, UserForm
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.refusal import Refused
from portal.web import fragment_or_page, no_store, page_number, search_query

PER_PAGE = 25


@bp.route("/")
@require("view_users")
def index():
    query = search_query()
    role = request.args.get("peran", "")
    page = db.paginate(
        users.users_in_scope(current_user, query=query, role=role),
        page=request.args.get("halaman", 1, type=page_number),
        per_page=PER_PAGE,
        error_out=False,
    )
    return fragment_or_page(
        "users/index.html",
        "users/_table.html",
        page=page,
        query=query,
        role=role,
        role_labels=ROLE_LABELS,
    )


@bp.route("/baru", methods=["GET", "POST"])
@require("manage_users")
def create():
    form = UserForm()
    form.set_region_choices(current_user.region_code)
    if form.validate_on_submit():
        data = users.UserData(
            username=form.username.data,
            full_name=form.full_name.data,
            role=form.role.data,
            region_code=form.region_code.data,
            email=form.email.data,
            phone=form.phone.data,
            nip=form.nip.data,
        )
        try:
            user, temporary = users.create_user(
                data, password=form.password.data or None, actor=current_user
            )
        except Refused as error:
            _attach_error(form, error)
        else:
            db.session.commit()
            if temporary:
                return _password_page(user, temporary)
            flash(_("Pengguna %(name)s dibuat.", name=user.username), "success")
            return redirect(url_for("users.show", user_id=user.id))
    return render_template("users/form.html", form=form, user=None)


@bp.route("/<int:user_id>")
@require("view_users")
def show(user_id: int):
    user = get_scoped_or_404(User, user_id)
    entries = db.session.execute(
        db.select(AuditEntry)
        .where(AuditEntry.object_type == "user", AuditEntry.object_id == str(user.id))
        .order_by(AuditEntry.id.desc())
        .limit(20)
    ).scalars()
    return render_template(
        "users/show.html", user=user, entries=list(entries), role_labels=ROLE_LABELS
    )


@bp.route("/<int:user_id>/ubah", methods=["GET", "POST"])
@require("manage_users")
def edit(user_id: int):
    user = get_scoped_or_404(User, user_id)
    form = EditUserForm(obj=user)
    form.set_region_choices(current_user.region_code)
    if form.validate_on_submit():
        data = users.UserData(
            username=user.username,
            full_name=form.full_name.data,
            role=form.role.data,
            region_code=form.region_code.data,
            email=form.email.data,
            phone=form.phone.data,
            nip=form.nip.data,
        )
        try:
            users.update_user(user, data, actor=current_user)
        except Refused as error:
            _attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Perubahan disimpan."), "success")
            return redirect(url_for("users.show", user_id=user.id))
    return render_template("users/form.html", form=form, user=user)


@bp.route("/<int:user_id>/aktif", methods=["POST"])
@require("manage_users")
def toggle_active(user_id: int):
    user = get_scoped_or_404(User, user_id)
    make_active = request.form.get("aktif") == "1"
    try:
        users.set_active(user, make_active, actor=current_user)
    except Refused as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        if make_active:
            flash(_("Akun %(name)s diaktifkan kembali.", name=user.username), "success")
        else:
            flash(_("Akun %(name)s dinonaktifkan.", name=user.username), "success")
    return redirect(url_for("users.show", user_id=user.id))


@bp.route("/<int:user_id>/reset-sandi", methods=["POST"])
@require("manage_users")
def reset_password(user_id: int):
    user = get_scoped_or_404(User, user_id)
    temporary = users.reset_password(user, actor=current_user)
    db.session.commit()
    return _password_page(user, temporary)


def _password_page(user: User, temporary: str):
    """The temporary password is shown once: never kept in a browser or proxy cache."""
    page = render_template("users/password_shown.html", user=user, password=temporary)
    return no_store(make_response(page))


def _attach_error(form: UserForm, error: Refused) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
