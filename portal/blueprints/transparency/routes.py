"""Public transparency pages (no login): the confirmed decisions of a village's meetings."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from portal.blueprints.transparency import services
from portal.web import search_query

bp = Blueprint("transparency", __name__)


@bp.route("/")
def index():
    query = search_query()
    return render_template(
        "transparency/index.html",
        villages=services.villages_with_decisions(name=query),
        query=query,
    )


@bp.route("/<village_code>")
def village(village_code: str):
    region = services.village(village_code)
    if region is None:
        abort(404)
    if not services.published(region.code):
        body = render_template(
            "errors/error.html",
            status=404,
            title=region.name,
            message=_not_published(),
        )
        return body, 404
    return render_template(
        "transparency/village.html",
        village=region,
        chain=region.ancestors(),
        meetings=services.confirmed_meetings(region.code),
    )


def _not_published() -> str:
    from flask_babel import gettext as _

    return _("Halaman transparansi kabupaten/kota ini tidak dipublikasikan.")
