"""The meeting's life, in one place: its states, the moves between them, and who may make each.

Everything else (services, routes, templates) asks this module; nothing compares state names on
its own. An illegal move raises `MoveRefused` with a message for the user and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.access import ADMIN, CAMAT, SEKRETARIS
from portal.refusal import Refused

DRAFT = "draft"
SCHEDULED = "scheduled"
IN_SESSION = "in_session"
DECIDED = "decided"
LOCKED = "locked"
CONFIRMED = "confirmed"
RETURNED = "returned"
CANCELLED = "cancelled"
STATES = (DRAFT, SCHEDULED, IN_SESSION, DECIDED, LOCKED, CONFIRMED, RETURNED, CANCELLED)

LABELS = {
    DRAFT: _l("draf"),
    SCHEDULED: _l("terjadwal"),
    IN_SESSION: _l("sedang berlangsung"),
    DECIDED: _l("diputuskan"),
    LOCKED: _l("dikunci"),
    CONFIRMED: _l("dikonfirmasi camat"),
    RETURNED: _l("dikembalikan camat"),
    CANCELLED: _l("dibatalkan"),
}


@dataclass(frozen=True)
class Move:
    name: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    label: object


MOVES = {
    move.name: move
    for move in (
        Move("schedule", (DRAFT,), SCHEDULED, frozenset({SEKRETARIS}), _l("Jadwalkan")),
        Move("open", (SCHEDULED,), IN_SESSION, frozenset({SEKRETARIS}), _l("Buka musyawarah")),
        Move("decide", (IN_SESSION,), DECIDED, frozenset({SEKRETARIS}), _l("Tetapkan keputusan")),
        # Back to the session while nothing is locked: a decision recorded wrongly is fixed
        # before the berita acara, not after.
        Move("reopen", (DECIDED,), IN_SESSION, frozenset({SEKRETARIS}), _l("Buka kembali")),
        Move("lock", (DECIDED,), LOCKED, frozenset({SEKRETARIS}), _l("Kunci berita acara")),
        Move("confirm", (LOCKED,), CONFIRMED, frozenset({CAMAT}), _l("Konfirmasi")),
        Move("return", (LOCKED,), RETURNED, frozenset({CAMAT}), _l("Kembalikan")),
        Move(
            "cancel",
            (DRAFT, SCHEDULED),
            CANCELLED,
            frozenset({SEKRETARIS, ADMIN}),
            _l("Batalkan"),
        ),
    )
}

# Moves that later issues own: refused here until their feature exists.
NOT_YET: set[str] = set()
# Moves made only by their own service, never by a plain move: the lock by the berita acara
# job (with the signed PDF stored), confirm/return by the camat's review (countersigned PDF,
# register update, note).
BY_OWNER_ONLY = {"lock", "confirm", "return"}

# What may change in each state.
EDITABLE_DETAILS = (DRAFT, SCHEDULED)
# Invitations close when the session opens (a new invitee would move the quorum target
# mid-meeting); from then on only walk-ins are added.
EDITABLE_PARTICIPANTS = (DRAFT, SCHEDULED)
ATTENDANCE_OPEN = (IN_SESSION,)
PROPOSALS_OPEN = (SCHEDULED, IN_SESSION)
DECISIONS_OPEN = (IN_SESSION,)
# While a meeting is under way, register imports leave its village's prelist alone (until the
# camat has confirmed or returned the locked berita acara).
PRELIST_FROZEN = (SCHEDULED, IN_SESSION, DECIDED, LOCKED)
# Locked by its berita acara: nothing of the meeting changes any more (database triggers too).
SEALED = (LOCKED, CONFIRMED, RETURNED)
# The decided list is final (or signed): the decided page stops saying "sementara".
HAS_DECISIONS = (DECIDED, *SEALED)


class MoveRefused(Refused):
    """The state machine refused the move."""


def check_move(state: str, move_name: str, role: str) -> Move:
    """The move, if this role may make it from this state; else MoveRefused."""
    from flask_babel import gettext as _

    move = MOVES.get(move_name)
    if move is None or move_name in NOT_YET:
        raise MoveRefused(_("Langkah ini belum tersedia."))
    if role not in move.roles:
        raise MoveRefused(_("Peran Anda tidak dapat melakukan langkah ini."))
    if state not in move.sources:
        raise MoveRefused(
            _(
                'Musyawarah berstatus %(state)s: langkah "%(move)s" tidak dapat dilakukan.',
                state=LABELS[state],
                move=move.label,
            )
        )
    return move


def available_moves(state: str, role: str) -> list[Move]:
    return [
        move
        for name, move in MOVES.items()
        if name not in NOT_YET | BY_OWNER_ONLY and state in move.sources and role in move.roles
    ]
