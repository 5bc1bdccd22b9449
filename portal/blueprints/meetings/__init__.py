from flask import Blueprint

bp = Blueprint("meetings", __name__)

from portal.blueprints.meetings import correction_routes, routes  # noqa: E402, F401
from portal.blueprints.meetings.sealed import refuse_changes_when_sealed  # noqa: E402

bp.before_request(refuse_changes_when_sealed)
