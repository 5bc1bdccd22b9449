from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.access import covers, get_scoped_or_404, require, scoped_select
from portal.blueprints.regions.models import VILLAGE, Region
from portal.blueprints.regions.services import regions_in_scope
from portal.blueprints.register import bp, services
from portal.blueprints.register.exporting import export_csv, export_xlsx, neutralise
from portal.blueprints.register.forms import ConfirmForm, SearchForm, UploadForm
from portal.blueprints.register.history import family_history
from portal.blueprints.register.models import Household, RegisterImport
from portal.blueprints.users.forms import region_label
from portal.extensions import db
from portal.web import fragment_or_page, page_number

PER_PAGE = 25


def _village_or_404(code: str) -> Region:
    region = get_scoped_or_404(Region, code.replace(".", ""))
    if region.level != VILLAGE:
        abort(404)
    return region


@bp.route("/")
@require("view_register")
def index():
    if current_user.region.level == VILLAGE:
        return redirect(url_for("register.village", code=current_user.region_code))
    villages = regions_in_scope(current_user.region_code, (VILLAGE,))
    counts = services.village_counts(current_user.region_code)
    return render_template("register/index.html", villages=villages, counts=counts)


@bp.route("/desa/<code>", methods=["GET", "POST"])
@require("view_register")
def village(code: str):
    region = _village_or_404(code)
    form = SearchForm()
    query = ""
    number = request.args.get("halaman", 1, type=page_number)
    if request.method == "POST":
        if not form.validate():
            abort(400)
        query = (form.q.data or "").strip()
        number = request.form.get("halaman", 1, type=page_number)
    page = db.paginate(
        services.search_households(region.code, query),
        page=number,
        per_page=PER_PAGE,
        error_out=False,
    )
    db.session.execute(
        select(Household)
        .where(Household.id.in_([h.id for h in page.items]))
        .options(selectinload(Household.members))
    ).scalars().all()
    total = services.village_counts(region.code).get(region.code, 0)
    return fragment_or_page(
        "register/village.html",
        "register/_households.html",
        region=region,
        page=page,
        query=query,
        form=form,
        total=total,
    )


@bp.route("/<int:household_id>")
@require("view_register")
def household(household_id: int):
    family = get_scoped_or_404(Household, household_id)
    return render_template(
        "register/household.html", family=family, events=family_history(family.id)
    )


@bp.route("/desa/<code>/ekspor.<fmt>")
@require("view_register")
def export(code: str, fmt: str):
    region = _village_or_404(code)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    data = export_csv(region.code) if fmt == "csv" else export_xlsx(region.code)
    audit.record(
        "register.export",
        object_type="region",
        object_id=region.code,
        region_code=region.code,
        details={"format": fmt},
    )
    db.session.commit()
    mimetype = (
        "text/csv"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"prelist-{region.code}.{fmt}"
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _upload_targets() -> list:
    from wtforms.fields import SelectChoice

    region = current_user.region
    if region.level == VILLAGE:
        return [SelectChoice(region.code, region_label(region))]
    choices = [
        SelectChoice(
            region.code,
            _("Seluruh %(name)s (semua desa/kelurahan, kolom kode_wilayah)", name=region.name),
        )
    ]
    choices += [
        SelectChoice(r.code, region_label(r)) for r in regions_in_scope(region.code, (VILLAGE,))
    ]
    return choices


@bp.route("/impor", methods=["GET", "POST"])
@require("import_register")
def imports():
    form = UploadForm()
    form.set_targets(_upload_targets())
    if form.validate_on_submit():
        target = (form.target.data or "").replace(".", "")
        if not covers(target):
            form.target.errors = [_("Wilayah tujuan di luar cakupan Anda.")]
        else:
            upload = form.file.data
            try:
                record = services.create_import(
                    user=current_user,
                    scope_code=target,
                    filename=upload.filename or "",
                    data=upload.read(),
                )
            except services.ImportRefused as refused:
                form.file.errors = [refused.message]
            else:
                db.session.commit()
                from portal.blueprints.register.tasks import validate_import_task

                validate_import_task(record.id)
                return redirect(url_for("register.import_status", import_id=record.id))
    recent = db.session.execute(
        scoped_select(RegisterImport).order_by(RegisterImport.id.desc()).limit(20)
    ).scalars()
    return render_template("register/imports.html", form=form, recent=list(recent))


@bp.route("/impor/<int:import_id>")
@require("import_register")
def import_status(import_id: int):
    record = get_scoped_or_404(RegisterImport, import_id)
    if services.settle_stalled(record):  # its worker died: say so now, not at the next sweep
        db.session.commit()
    page = request.args.get("halaman", 1, type=page_number)
    issues = record.issues or []
    per_page = 100
    shown = issues[(page - 1) * per_page : page * per_page]
    return fragment_or_page(
        "register/import.html",
        "register/_import_status.html",
        record=record,
        issues=shown,
        issue_page=page,
        issue_pages=max(1, -(-len(issues) // per_page)),
        form=ConfirmForm(),
    )


@bp.route("/impor/<int:import_id>/konfirmasi", methods=["POST"])
@require("import_register")
def import_confirm(import_id: int):
    record = get_scoped_or_404(RegisterImport, import_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_import(record, user=current_user)
        except services.ImportRefused as refused:
            flash(refused.message, "error")
        else:
            db.session.commit()
            from portal.blueprints.register.tasks import apply_import_task

            apply_import_task(record.id)
    return redirect(url_for("register.import_status", import_id=record.id))


@bp.route("/impor/<int:import_id>/batal", methods=["POST"])
@require("import_register")
def import_cancel(import_id: int):
    record = get_scoped_or_404(RegisterImport, import_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.cancel_import(record, user=current_user)
        except services.ImportRefused as refused:
            flash(refused.message, "error")
        else:
            db.session.commit()
            flash(_("Impor dibatalkan; register tidak berubah."), "info")
    return redirect(url_for("register.import_status", import_id=record.id))


@bp.route("/impor/<int:import_id>/masalah.csv")
@require("import_register")
def import_issues(import_id: int):
    record = get_scoped_or_404(RegisterImport, import_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["baris", "kolom", "jenis", "keterangan"])
    for row, column, message, severity in record.issues or []:
        kind = "peringatan" if severity == "warning" else "ditolak"
        writer.writerow([row, neutralise(column or ""), kind, neutralise(message)])
    return Response(
        buffer.getvalue().encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="masalah-impor-{record.id}.csv"'},
    )
