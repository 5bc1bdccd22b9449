"""Email of notifications over SMTP (standard library: one message per notification)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.blueprints.notifications import wording
from portal.blueprints.notifications.models import Notification
from portal.blueprints.users.models import User
from portal.extensions import db
from portal.timeutil import utcnow

log = logging.getLogger(__name__)


def _link(notification: Notification) -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    with current_app.test_request_context():
        path = wording.target(notification)
    return base + path if base else path


def _message(notification: Notification, user: User) -> EmailMessage:
    config = current_app.config
    with force_locale(user.locale or "id"):
        text = wording.message(notification)
        mail = EmailMessage()
        # A header is one line: the camat's note may hold line breaks.
        subject = " ".join(_("Portal Musyawarah: %(text)s", text=text).split())
        mail["Subject"] = subject[:200]
        mail["From"] = config.get("MAIL_FROM") or "portal-musyawarah@localhost"
        mail["To"] = user.email
        mail.set_content(
            _("Yth. %(name)s,", name=user.full_name)
            + "\n\n"
            + text
            + "\n\n"
            + _link(notification)
            + "\n\n-- \n"
            + _("Portal Musyawarah (pesan otomatis)")
        )
    return mail


def send(notification_ids: list[int]) -> int:
    """Email these notifications to their users (those with an address); returns how many were
    sent. A failure is logged without personal data and leaves them unsent."""
    config = current_app.config
    found = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(notification_ids), Notification.emailed_at.is_(None))
    ).all()
    rows = [(n, u) for n, u in found if u.email]
    if not rows or not config.get("MAIL_SERVER"):
        return 0
    sent = 0
    try:
        with smtplib.SMTP(
            config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=15
        ) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for notification, user in rows:
                try:
                    smtp.send_message(_message(notification, user))
                except (ValueError, smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                    # This one message is refused (an address, its content): send the others.
                    log.warning(
                        "notification %d: email refused: %s", notification.id, type(error).__name__
                    )
                    continue
                notification.emailed_at = utcnow()
                sent += 1
    except (OSError, smtplib.SMTPException) as error:
        log.warning("notification email failed after %d sent: %s", sent, type(error).__name__)
    db.session.flush()  # the job commits the sent marks
    return sent
