"""/jejak-audit/: the trail of the user's region, filtered; admin checks the hash chain."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from portal import audit_chain
from portal.access import require
from portal.blueprints.audit import labels, services
from portal.blueprints.audit.forms import AuditFilterForm
from portal.extensions import db
from portal.web import fragment_or_page, page_number

bp = Blueprint("audit", __name__)
bp.add_app_template_filter(labels.action_label, "audit_action")
bp.add_app_template_filter(labels.detail_label, "audit_detail")
bp.add_app_template_global(labels.detail_value, "audit_value")

PER_PAGE = 50
FAILED_LOGIN_DAYS = (1, 7, 30)


@bp.route("/")
@require("view_audit")
def index():
    form = AuditFilterForm(request.args)
    valid = form.validate()
    values = (
        {
            "group": form.kelompok.data or "",
            "username": form.pengguna.data or "",
            "region": form.wilayah.data or "",
            "since": form.dari.data,
            "until": form.sampai.data,
        }
        if valid
        else {}
    )
    page = db.paginate(
        services.entries(current_user, **values),
        page=request.args.get("halaman", 1, type=page_number),
        per_page=PER_PAGE,
        error_out=False,
    )
    args = {k: v for k, v in request.args.items() if k != "halaman" and v}
    return fragment_or_page(
        "audit/index.html",
        "audit/_table.html",
        form=form,
        page=page,
        args=args,
        groups=services.GROUPS,
        usernames=services.usernames(page.items),
        verify_form=FlaskForm(),
    )


@bp.route("/masuk-gagal")
@require("view_failed_logins")
def failed_logins():
    days = request.args.get("hari", 7, type=int)
    days = days if days in FAILED_LOGIN_DAYS else 7
    known, unknown = services.failed_logins(current_user, days=days)
    return render_template(
        "audit/failed_logins.html",
        known=known,
        unknown=unknown,
        days=days,
        day_choices=FAILED_LOGIN_DAYS,
        limit=services.FAILED_LOGIN_ROWS,
    )


@bp.post("/periksa")
@require("verify_audit")
def verify():
    # A read, but an expensive one: a POST (CSRF-checked by CSRFProtect), admin only.
    report = audit_chain.verify(db.session)
    if report.ok:
        flash(
            _(
                "Rantai jejak audit utuh: %(count)d entri, kepala %(head)s.",
                count=report.count,
                head=report.head[:24],
            ),
            "success",
        )
    else:
        flash(
            _("Rantai jejak audit RUSAK: %(problems)s", problems="; ".join(report.problems)),
            "error",
        )
    return redirect(url_for("audit.index"))
