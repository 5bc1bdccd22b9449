"""What a notification says and where it leads, in the reader's language: the web page and the
email read the same words."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from portal.blueprints.notifications.models import Notification


def message(notification: Notification) -> str:
    """The notification's text in the reader's language."""
    params = notification.params or {}
    number, village = params.get("number", ""), params.get("village", "")
    if notification.kind == "ba_locked":
        return _(
            "Berita acara %(number)s (%(village)s) sudah dikunci dan menunggu konfirmasi Anda.",
            number=number,
            village=village,
        )
    if notification.kind == "meeting_returned":
        return _(
            "Musyawarah %(number)s (%(village)s) dikembalikan camat: %(note)s",
            number=number,
            village=village,
            note=params.get("note") or "",
        )
    if notification.kind == "meeting_confirmed_village":
        return _(
            "Berita acara %(number)s (%(village)s) dikonfirmasi dan ditandatangani secara "
            "elektronik oleh camat %(camat)s.",
            number=number,
            village=village,
            camat=params.get("camat") or "",
        )
    return _(
        "Musyawarah %(number)s (%(village)s) dikonfirmasi camat: keputusannya siap dientri "
        "ke SIKS-NG.",
        number=number,
        village=village,
    )


def target(notification: Notification) -> str:
    """Where the notification leads."""
    if notification.meeting_id is None:
        return url_for("notifications.index")
    if notification.kind == "ba_locked":
        return url_for("review.show", meeting_id=notification.meeting_id)
    if notification.kind == "meeting_confirmed":
        return url_for("entry.show", meeting_id=notification.meeting_id)
    return url_for("meetings.show", meeting_id=notification.meeting_id)
