"""The register's rules: uploads, validation into a preview, confirmed application, search.

Routes and the CLI call these; they only flush. The jobs (`register/tasks.py`: `validate_import`,
`apply_import`) own their transactions. The preview and the applied import compute the same plan
from the stored file, so what was shown is what is done.

One module per idea; callers use the names below (`services.analyse`, `services.confirm_import`):

- `analysis`: the import's target villages, and the file read, validated and planned (`analyse`)
- `importing`: an import uploaded, confirmed or cancelled; what its jobs read and write
- `stalled`: imports whose worker died, found and settled
- `queries`: active families per village, and a village's families searched
"""

from portal.blueprints.register.services.analysis import (
    Analysis,
    ImportRefused,
    analyse,
    checked_target,
    target_of,
    villages_in_meeting,
)
from portal.blueprints.register.services.importing import (
    MAX_STORED_ISSUES,
    cancel_import,
    confirm_import,
    create_import,
)
from portal.blueprints.register.services.queries import search_households, village_counts
from portal.blueprints.register.services.stalled import (
    RUNNING,
    is_stalled,
    settle_stalled,
)

__all__ = [
    "MAX_STORED_ISSUES",
    "RUNNING",
    "Analysis",
    "ImportRefused",
    "analyse",
    "cancel_import",
    "checked_target",
    "confirm_import",
    "create_import",
    "is_stalled",
    "search_households",
    "settle_stalled",
    "target_of",
    "village_counts",
    "villages_in_meeting",
]
