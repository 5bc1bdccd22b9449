"""The email job: notifications are mailed outside the request; the job commits what was sent."""

from __future__ import annotations

from portal.blueprints.notifications.mail import send
from portal.extensions import db
from portal.jobs import huey, with_app_context


@huey.task()
@with_app_context
def email_task(notification_ids: list[int]) -> None:
    send(notification_ids)
    db.session.commit()  # the messages sent are marked, even if a later one failed
