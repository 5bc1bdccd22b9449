"""Routes of the dashboard area: the page (full or htmx fragment) and its figures as CSV.

An admin sees their kabupaten (a row per kecamatan, each opening its villages with
`?kecamatan=<code>`); a camat sees the villages of their kecamatan. The figures are defined in
`services`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import get_scoped_or_404, require, scoped_select
from portal.blueprints.dashboard import charts, services
from portal.blueprints.dashboard.forms import DashboardFilterForm
from portal.blueprints.meetings.forms import REASON_LABELS
from portal.blueprints.regions.models import KECAMATAN, Region
from portal.blueprints.register.exporting import neutralise
from portal.extensions import db
from portal.web import fragment_or_page

bp = Blueprint("dashboard", __name__)


def _filters() -> tuple[DashboardFilterForm, Region, int, list[str]]:
    """The filter form, the area and period to show, and what was wrong with the input (the
    defaults are shown instead: the whole scope, 12 months)."""
    form = DashboardFilterForm(formdata=request.args)
    scope = get_scoped_or_404(Region, current_user.region_code)
    form.validate()
    errors = [error for f in form for error in f.errors]
    months = form.bulan.data if not form.bulan.errors else services.DEFAULT_PERIOD
    form.bulan.data = months
    area = scope
    code = form.kecamatan.data
    if code and not form.kecamatan.errors and code != scope.code:
        region = db.session.execute(
            scoped_select(Region).where(Region.code == code, Region.level == KECAMATAN)
        ).scalar_one_or_none()
        if region is None:  # outside the scope reads as missing
            errors.append(_("Kecamatan dengan kode itu tidak ada di wilayah Anda."))
        else:
            area = region
    form.kecamatan.data = area.code if area.code != scope.code else ""
    return form, area, months, errors


def reason_label(reason: str) -> str:
    return str(REASON_LABELS.get(reason, reason))


def month_label(month: services.Month) -> str:
    return format_date(month.start, "MMM yy")


def dashboard_charts(dashboard: services.Dashboard) -> dict[str, str]:
    labels = [month_label(month) for month in dashboard.months]
    first, last = labels[0], labels[-1]
    return {
        "meetings": charts.column_chart(
            "grafik-musyawarah",
            _("Musyawarah dikonfirmasi camat per bulan"),
            labels,
            [(_("Musyawarah"), [m.meetings for m in dashboard.months])],
            colors=[charts.BLUE],
            description=_("Bulan %(first)s sampai %(last)s.", first=first, last=last),
        ),
        "families": charts.column_chart(
            "grafik-keluarga",
            _("Keluarga keluar dan baru per bulan"),
            labels,
            [
                (_("Keluar"), [m.removed for m in dashboard.months]),
                (_("Baru"), [m.added for m in dashboard.months]),
            ],
            colors=[charts.RED, charts.GREEN],
            description=_("Bulan %(first)s sampai %(last)s.", first=first, last=last),
        ),
        "reasons": charts.bar_chart(
            "grafik-alasan",
            _("Keluarga keluar menurut alasan"),
            [(reason_label(reason), n) for reason, n in dashboard.totals.reasons()],
            description=_("Jumlah dalam periode, %(n)d keluarga.", n=dashboard.totals.removed),
        ),
    }


@bp.route("/")
@require("view_dashboard")
def index():
    form, area, months, errors = _filters()
    dashboard = services.build(area, user=current_user, months=months)
    return fragment_or_page(
        "dashboard/index.html",
        "dashboard/_body.html",
        dashboard=dashboard,
        form=form,
        errors=errors,
        months=months,
        charts=dashboard_charts(dashboard),
        reason_label=reason_label,
        month_label=month_label,
    )


def _csv(name: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return Response(
        buffer.getvalue().encode("utf-8-sig"),  # the BOM makes Excel read UTF-8
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _download(kind: str):
    _form, area, months, errors = _filters()
    if errors:
        for error in errors:
            flash(error, "error")
        return redirect(url_for("dashboard.index"))
    dashboard = services.build(area, user=current_user, months=months)
    stamp = dashboard.today.strftime("%Y%m%d")
    services.log_download(area, kind, months)
    db.session.commit()
    if kind == "monthly":
        return _csv(
            f"dasbor-per-bulan-{area.code}-{stamp}.csv",
            services.MONTHLY_CSV_COLUMNS,
            services.monthly_csv_rows(dashboard),
        )
    return _csv(
        f"dasbor-{area.code}-{stamp}.csv",
        services.CSV_COLUMNS,
        services.village_csv_rows(dashboard),
    )


@bp.route("/unduh.csv")
@require("view_dashboard")
def download():
    return _download("villages")


@bp.route("/per-bulan.csv")
@require("view_dashboard")
def download_monthly():
    return _download("monthly")
