from __future__ import annotations

from flask import redirect, url_for
from flask_login import current_user

from portal.access import covers, get_scoped_or_404, require
from portal.blueprints.regions import bp
from portal.blueprints.regions.models import Region, count_children_by_level
from portal.blueprints.regions.services import children
from portal.web import fragment_or_page, search_query


@bp.route("/")
@require("view_regions")
def index():
    return redirect(url_for("regions.show", code=current_user.region_code))


@bp.route("/<code>")
@require("view_regions")
def show(code: str):
    region = get_scoped_or_404(Region, code.replace(".", ""))
    query = search_query()
    ancestors = [(a, covers(a.code)) for a in region.ancestors()]
    return fragment_or_page(
        "regions/show.html",
        "regions/_children.html",
        region=region,
        ancestors=ancestors,
        children=children(region, query),
        counts=count_children_by_level(region.code),
        query=query,
    )
