"""The email job: notifications are mailed outside the request."""

from __future__ import annotations

from portal.jobs import huey, with_app_context


@huey.task()
@with_app_context
def email_task(notification_ids: list[int]) -> None:
    from portal.blueprints.notifications.mail import send

    send(notification_ids)
