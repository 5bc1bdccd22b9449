"""The meeting's rules: moves, participants and attendance, quorum, proposals and decisions.

Every function checks the meeting's state through `states`, writes the audit entry and flushes;
the request commits once. Counting rules (quorum, majority, recusal) live here and nowhere else.

One module per idea; callers use the names below (`services.move`, `services.cast_vote`):

- `common`: the refusal (`MeetingError`), the state check, the audit entry, the versioned flush
- `rules`: the kabupaten's meeting rules (quorum, majority, settings)
- `details`: a meeting created and edited, its number, its signatories
- `moves`: the moves through the states, with their guards
- `participants`: invitees, walk-ins, check-in, attendance and quorum
- `families`: the prelist, and one decision per family per period (claims)
- `as_signed`: for a sealed meeting, the counts and lists as signed
- `reopening`: a decision reopened before the lock, with its reason (`corrections`)
- `walk_ins`: walk-ins corrected or removed before the lock
- `contradictions`: a family decided otherwise by another meeting of the period
- `proposals`: removal, correction and new-family proposals, photos, withdrawal, disputes
- `decisions`: consensus, tally, named vote, batch; who may vote, the majority
- `results`: open proposals, the summary counts, the decided lists
"""

from portal.blueprints.meetings.services.common import MeetingError
from portal.blueprints.meetings.services.contradictions import (
    Contradiction,
    contradictions,
    refuse_decided_elsewhere,
)
from portal.blueprints.meetings.services.decisions import (
    batch_candidates,
    cast_vote,
    close_named_vote,
    decide_batch,
    decide_by_consensus,
    eligible_voters,
    majority_reached,
    named_choices,
    named_tally,
    open_named_vote,
    record_tally,
    recused_ids,
)
from portal.blueprints.meetings.services.details import (
    MeetingData,
    create_meeting,
    pick_signatories,
    update_meeting,
)
from portal.blueprints.meetings.services.families import (
    LIVE,
    claims_elsewhere,
    prelist,
)
from portal.blueprints.meetings.services.moves import move, opening_day
from portal.blueprints.meetings.services.participants import (
    Attendance,
    ParticipantData,
    add_participant,
    attendance,
    check_in,
    copy_previous_participants,
    invite_from,
    remove_participant,
)
from portal.blueprints.meetings.services.proposals import (
    CORRECTABLE,
    PHOTO_MAX,
    PHOTO_TYPES,
    add_correction,
    add_new_family,
    add_removal,
    attach_photo,
    parse_member_lines,
    set_disputed,
    withdraw_proposal,
)
from portal.blueprints.meetings.services.reopening import corrections
from portal.blueprints.meetings.services.results import (
    Summary,
    count_open,
    decided_list,
    summary,
)
from portal.blueprints.meetings.services.rules import rules_for, set_rules

__all__ = [
    "CORRECTABLE",
    "LIVE",
    "PHOTO_MAX",
    "PHOTO_TYPES",
    "Attendance",
    "Contradiction",
    "MeetingData",
    "MeetingError",
    "ParticipantData",
    "Summary",
    "add_correction",
    "add_new_family",
    "add_participant",
    "add_removal",
    "attach_photo",
    "attendance",
    "batch_candidates",
    "cast_vote",
    "check_in",
    "claims_elsewhere",
    "close_named_vote",
    "contradictions",
    "copy_previous_participants",
    "corrections",
    "count_open",
    "create_meeting",
    "decide_batch",
    "decide_by_consensus",
    "decided_list",
    "eligible_voters",
    "invite_from",
    "majority_reached",
    "move",
    "named_choices",
    "named_tally",
    "open_named_vote",
    "opening_day",
    "parse_member_lines",
    "pick_signatories",
    "prelist",
    "record_tally",
    "recused_ids",
    "refuse_decided_elsewhere",
    "remove_participant",
    "rules_for",
    "set_disputed",
    "set_rules",
    "summary",
    "update_meeting",
    "withdraw_proposal",
]
