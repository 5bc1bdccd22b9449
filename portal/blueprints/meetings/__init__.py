from flask import Blueprint

bp = Blueprint("meetings", __name__)

from portal.blueprints.meetings import routes  # noqa: E402, F401
from portal.blueprints.meetings.sealed import refuse_changes_when_sealed  # noqa: E402

bp.before_request(refuse_changes_when_sealed)
