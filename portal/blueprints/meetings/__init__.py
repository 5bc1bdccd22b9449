from flask import Blueprint

bp = Blueprint("meetings", __name__)

from portal.blueprints.meetings import routes  # noqa: E402, F401
from portal.blueprints.meetings.sealed import refuse_changes_when_sealed  # noqa: E402
from portal.blueprints.meetings.services.moves import villages_with_frozen_prelist  # noqa: E402
from portal.blueprints.register import freeze  # noqa: E402

bp.before_request(refuse_changes_when_sealed)

# The register asks, before an import, which villages' prelists a meeting holds frozen.
bp.record_once(lambda state: freeze.add_source(state.app, "meetings", villages_with_frozen_prelist))
