"""What every meeting service shares: the refusal, the state check, the audit entry, the
versioned flush."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal.blueprints.meetings.models import Meeting
from portal.extensions import db
from portal.refusal import Refused


class MeetingError(Refused):
    """A meeting rule refused the action."""


def audit_meeting(meeting: Meeting, action: str, details: dict[str, Any] | None = None) -> None:
    """The audit entry of a change to a meeting, in the same transaction."""
    audit.record(
        action,
        object_type="meeting",
        object_id=meeting.id,
        region_code=meeting.village_code,
        details=details,
    )


def require_state(meeting: Meeting, allowed: tuple[str, ...], what: str) -> None:
    if meeting.state not in allowed:
        raise MeetingError(
            _(
                "%(what)s tidak dapat diubah: musyawarah berstatus %(state)s.",
                what=what,
                state=meeting.state_label,
            )
        )


def audit_value(value: Any) -> str | None:
    """A value as the audit trail's JSON keeps it (dates and times as ISO text)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def flush_versioned() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        db.session.rollback()
        raise MeetingError(
            _("Data ini baru saja diubah orang lain. Muat ulang halaman lalu coba lagi.")
        ) from error
