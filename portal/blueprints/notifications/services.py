"""Who is told what, in the portal and by email.

The camat when a berita acara is locked in their kecamatan, the village's secretary when the
camat returns or confirms a meeting, the operators when it is confirmed. A notification row is
written in the caller's transaction; emails are sent by a background job after the commit
(`send_queued_emails`), only when SMTP is configured, and a failing mail server never breaks the
request or the job.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, func, select, update

from portal.access import CAMAT, OPERATOR, SEKRETARIS
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.notifications import tasks
from portal.blueprints.notifications.models import Notification
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.timeutil import utcnow

_PENDING = "notifications_to_email"
log = logging.getLogger(__name__)


def _covering(role: str, village_code: str) -> list[User]:
    """Active users of this role whose scope covers the village."""
    prefixes = [village_code[:n] for n in (2, 4, 6, 10)]
    return list(
        db.session.execute(
            select(User).where(
                User.role == role, User.active.is_(True), User.region_code.in_(prefixes)
            )
        ).scalars()
    )


def _notify(kind: str, meeting: Meeting, role: str, **extra: Any) -> list[Notification]:
    params = {"number": meeting.number, "village": meeting.village.name, **extra}
    made = [
        Notification(user_id=user.id, kind=kind, meeting_id=meeting.id, params=params)
        for user in _covering(role, meeting.village_code)
    ]
    db.session.add_all(made)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).extend(n.id for n in made)
    return made


def notify_ba_locked(meeting: Meeting) -> list[Notification]:
    return _notify("ba_locked", meeting, CAMAT)


def notify_meeting_returned(meeting: Meeting, review: Any) -> list[Notification]:
    return _notify("meeting_returned", meeting, SEKRETARIS, note=review.note)


def notify_meeting_confirmed(meeting: Meeting) -> list[Notification]:
    return _notify("meeting_confirmed", meeting, OPERATOR)


def notify_meeting_confirmed_to_village(meeting: Meeting, camat: Any) -> list[Notification]:
    """The village's secretary: the camat confirmed (and countersigned) their berita acara."""
    return _notify("meeting_confirmed_village", meeting, SEKRETARIS, camat=camat.full_name)


def unread_count(user: Any) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def of_user(user: Any, limit: int = 100) -> list[Notification]:
    return list(
        db.session.execute(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        ).scalars()
    )


def mark_read(user: Any, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) unread notification of the user as read."""
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    result = cast("CursorResult[Any]", db.session.execute(stmt.values(read_at=utcnow())))
    return result.rowcount or 0  # an UPDATE's result is a cursor's


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_queued_emails() -> None:
    """After the commit: hand the new notifications to the email job (when SMTP is set)."""
    ids = db.session.info.pop(_PENDING, [])
    if not ids or not mail_configured():
        return
    try:
        tasks.email_task(ids)
    except Exception:  # the queue (or, in immediate mode, the mail) failing never breaks the caller
        log.exception("notification emails could not be queued")
