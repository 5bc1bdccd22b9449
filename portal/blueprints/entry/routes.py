"""The SIKS-NG operator: inbox of confirmed meetings, the decided families with their marks,
the downloads (countersigned berita acara, scan, decided list as XLSX/CSV)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import audit
from portal.access import get_scoped_or_404, require
from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara.models import DONE
from portal.blueprints.entry import exporting, services
from portal.blueprints.entry.forms import CATEGORY_LABELS, MARK_LABELS, BulkMarkForm, MarkForm
from portal.blueprints.entry.models import CATEGORIES, ENTERED
from portal.blueprints.meetings.forms import REASON_LABELS
from portal.blueprints.meetings.models import Meeting
from portal.extensions import db, htmx
from portal.refusal import Refused
from portal.web import fragment_or_page, page_number

bp = Blueprint("entry", __name__)

INBOX_PER_PAGE = 50
FAMILIES_PER_PAGE = 100
SCAN_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
LABELS = {"category": CATEGORY_LABELS, "mark": MARK_LABELS, "reason": REASON_LABELS}


def _confirmed_meeting(meeting_id: int, *, lock: bool = False) -> Meeting:
    """The meeting in the user's scope, confirmed by the camat; anything else is not found."""
    meeting = get_scoped_or_404(Meeting, meeting_id, lock=lock)
    if not services.is_open_for_entry(meeting):
        abort(404)
    return meeting


def _int(value: Any, default: int = 1) -> int:
    try:
        return page_number(value)
    except (TypeError, ValueError):
        return default


def _filters(source: Any) -> dict[str, Any]:
    """The page's filters from the query string or a form; unknown values mean "all"."""
    category = source.get("kategori") or None
    mark = source.get("tanda") or None
    return {
        "kategori": category if category in CATEGORIES else None,
        "tanda": mark if mark in services.MARK_FILTERS else None,
        "halaman": _int(source.get("halaman")),
    }


def _back(meeting_id: int, filters: dict[str, Any], anchor: str | None = None):
    """Back to the meeting's page, with the filters the operator had."""
    args = {key: value for key, value in filters.items() if value and value != 1}
    return redirect(url_for("entry.show", meeting_id=meeting_id, _anchor=anchor, **args))


# --- inbox -------------------------------------------------------------------------------------


@bp.route("/")
@require("enter_decisions")
def inbox():
    shown = request.args.get("tampil", "semua")
    if shown not in services.INBOX_FILTERS:
        shown = "semua"
    page = services.inbox(shown, page=_int(request.args.get("halaman")), per_page=INBOX_PER_PAGE)
    return render_template("entry/inbox.html", page=page, shown=shown)


# --- one meeting -------------------------------------------------------------------------------


def _context(meeting: Meeting, filters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    families = services.decided_families(meeting)
    shown = services.filter_families(families, category=filters["kategori"], mark=filters["tanda"])
    pages = max(1, -(-len(shown) // FAMILIES_PER_PAGE))
    page = min(filters["halaman"], pages)
    start = (page - 1) * FAMILIES_PER_PAGE
    ba = ba_services.of_meeting(meeting.id)
    context = {
        "meeting": meeting,
        "review": services.review_of(meeting.id),
        "has_scan": ba is not None and ba.status == DONE and ba.scan_sha256 is not None,
        "families": shown[start : start + FAMILIES_PER_PAGE],
        "shown_total": len(shown),
        "unmarked_shown": sum(1 for f in shown if f.mark is None and f.household_id),
        "counts": {c: sum(1 for f in families if f.category == c) for c in CATEGORIES},
        "progress": services.progress(meeting.id),
        "filters": {**filters, "halaman": page},
        "page": page,
        "pages": pages,
        "labels": LABELS,
        "form": MarkForm(formdata=None),
        "bulk_form": BulkMarkForm(formdata=None),
    }
    context.update(extra)
    return context


@bp.route("/<int:meeting_id>")
@require("enter_decisions")
def show(meeting_id: int):
    meeting = _confirmed_meeting(meeting_id)
    context = _context(meeting, _filters(request.args))
    return fragment_or_page("entry/show.html", "entry/_families.html", **context)


def _family(meeting: Meeting, household_id: int) -> services.Family:
    for family in services.decided_families(meeting):
        if family.household_id == household_id:
            return family
    abort(404)


@bp.route("/<int:meeting_id>/keluarga/<int:household_id>", methods=["POST"])
@require("enter_decisions")
def mark(meeting_id: int, household_id: int):
    """One family. For htmx: its row, with the progress and messages out of band."""
    meeting = _confirmed_meeting(meeting_id, lock=True)
    families = services.decided_families(meeting)
    if not any(f.household_id == household_id for f in families):
        abort(404)
    form = MarkForm()
    filters = _filters(request.form)
    error = None
    if not form.validate_on_submit():
        error = " ".join(form.reason.errors) or _("Formulir tidak sah. Muat ulang halaman.")
    else:
        try:
            services.mark(
                meeting,
                [household_id],
                form.status.data or "",
                form.reason.data,
                current_user,
                families=families,
            )
        except Refused as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
    if not htmx:
        if error:
            flash(error, "error")
        return _back(meeting_id, filters, anchor=f"keluarga-{household_id}")
    meeting = _confirmed_meeting(meeting_id)
    return render_template(
        "entry/_mark_response.html",
        meeting=meeting,
        f=_family(meeting, household_id),
        progress=services.progress(meeting_id),
        filters=filters,
        labels=LABELS,
        error=error,
        reason=form.reason.data if error else None,
    )


@bp.route("/<int:meeting_id>/tandai", methods=["POST"])
@require("enter_decisions")
def mark_many(meeting_id: int):
    """Several families: the ticked ones, or every unmarked family of the shown category.
    For htmx: the list, with the progress out of band."""
    meeting = _confirmed_meeting(meeting_id, lock=True)
    form = BulkMarkForm()
    filters = _filters(request.form)
    message, category = None, "error"
    if not form.validate_on_submit():
        message = " ".join(form.reason.errors) or _("Formulir tidak sah. Muat ulang halaman.")
    else:
        families = services.decided_families(meeting)
        status = form.status.data or ""
        try:
            if form.aksi.data == "semua_belum":
                status = ENTERED
                chosen = [
                    f.household_id
                    for f in services.filter_families(
                        families, category=filters["kategori"], mark=services.UNMARKED
                    )
                    if f.household_id is not None
                ]
                if not chosen:
                    raise services.EntryError(_("Tidak ada keluarga yang belum ditandai."))
            else:
                raw = request.form.getlist("keluarga")
                chosen = [int(value) for value in raw if value.isdigit()]
                if len(chosen) != len(raw):
                    raise services.EntryError(_("Pilihan keluarga tidak sah."))
            changed = services.mark(
                meeting, chosen, status, form.reason.data, current_user, families=families
            )
        except Refused as refused:
            db.session.rollback()
            message = refused.message
        else:
            db.session.commit()
            category = "success"
            message = ngettext("%(num)d keluarga ditandai.", "%(num)d keluarga ditandai.", changed)
    flash(message, category)
    if not htmx:
        return _back(meeting_id, filters)
    meeting = _confirmed_meeting(meeting_id)
    return render_template("entry/_bulk_response.html", **_context(meeting, filters))


# --- downloads ---------------------------------------------------------------------------------


def _download(meeting: Meeting, data: bytes, mimetype: str, filename: str) -> Response:
    audit.record(
        "entry.download",
        object_type="meeting",
        object_id=meeting.id,
        region_code=meeting.village_code,
        details={"file": filename},
    )
    db.session.commit()
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:meeting_id>/berita-acara.pdf")
@require("enter_decisions")
def countersigned_pdf(meeting_id: int):
    meeting = _confirmed_meeting(meeting_id)
    review = services.review_of(meeting.id)
    if review is None or not review.pdf:
        abort(404)
    return _download(
        meeting, review.pdf, "application/pdf", f"berita-acara-{meeting.id}-dikonfirmasi.pdf"
    )


@bp.route("/<int:meeting_id>/pindaian")
@require("enter_decisions")
def scan(meeting_id: int):
    meeting = _confirmed_meeting(meeting_id)
    ba = ba_services.of_meeting(meeting.id)
    if ba is None or ba.status != DONE or ba.scan is None:
        abort(404)
    mimetype = ba.scan_mimetype or "application/octet-stream"
    extension = SCAN_EXTENSIONS.get(mimetype, "bin")
    return _download(meeting, ba.scan, mimetype, f"pindaian-ba-{meeting.id}.{extension}")


@bp.route("/<int:meeting_id>/keputusan.<fmt>")
@require("enter_decisions")
def decided_list(meeting_id: int, fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    meeting = _confirmed_meeting(meeting_id)
    if fmt == "csv":
        data, mimetype = exporting.export_csv(meeting), "text/csv"
    else:
        data = exporting.export_xlsx(meeting)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(meeting, data, mimetype, f"keputusan-{meeting.id}.{fmt}")
