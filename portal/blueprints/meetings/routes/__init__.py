"""The meetings' pages, one module per part of a meeting, all on the blueprint `meetings.bp`:

- `details`: the list, the kabupaten's rules, a meeting created, shown, edited, moved on
- `participants`: invitees and walk-ins, the check-in tap, the printed lists
- `proposals`: the proposals list, the family search, proposals made, withdrawn, disputed
- `decisions`: consensus, tally, named vote, the batch; the decided lists
- `corrections`: before the lock, a decision reopened, a walk-in corrected or removed

Each view reads top to bottom: load (the meeting in scope, its row), check (the form), act (one
service call; a refusal is rolled back), answer (a redirect, the page, or the htmx fragment).
What they share is in `answers` (a refusal turned into the answer, a proposal's answer) and
`speedups` (the measured shortcuts: the meeting handed over by the sealed check, statements
built once, a commit that keeps what the answer shows loaded).
"""

from portal.blueprints.meetings.routes import (  # noqa: F401  (the views register on `bp`)
    corrections,
    decisions,
    details,
    participants,
    proposals,
)
