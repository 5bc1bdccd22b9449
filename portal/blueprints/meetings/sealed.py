"""A locked meeting refuses every change with HTTP 409, before any view runs.

The database refuses too (triggers of migration 0004); this answers first, with words, and
writes nothing. Only meetings in the user's scope are looked at: for others the view's own
404 stands (a 409 would tell another region that the meeting exists).
"""

from __future__ import annotations

from flask import flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import scoped_select
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.extensions import db, htmx

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# POST routes that only read (a search form that posts): nothing to refuse.
READ_ONLY_POSTS = {"meetings.families"}


def refuse_changes_when_sealed():
    if request.method in SAFE_METHODS or not current_user.is_authenticated:
        return None
    if request.endpoint in READ_ONLY_POSTS:
        return None
    meeting_id = (request.view_args or {}).get("meeting_id")
    if meeting_id is None:
        return None
    state = db.session.execute(
        scoped_select(Meeting).with_only_columns(Meeting.state).where(Meeting.id == meeting_id)
    ).scalar_one_or_none()
    if state not in states.SEALED:
        return None
    message = _(
        "Musyawarah ini sudah dikunci dengan berita acara (status: %(state)s). Tidak ada yang "
        "dapat diubah lagi; kesalahan diperbaiki dengan musyawarah susulan (adendum).",
        state=states.LABELS[state],
    )
    page = url_for("meetings.show", meeting_id=meeting_id)
    if htmx:
        # htmx does not swap a 409: send the browser to the meeting page, which shows why.
        flash(message, "error")
        response = make_response(message, 409)
        response.headers["HX-Redirect"] = page
        return response
    body = render_template(
        "errors/error.html",
        status=409,
        title=_("Musyawarah sudah dikunci"),
        message=message,
        back_url=page,
        back_label=_("Kembali ke musyawarah"),
    )
    return make_response(body, 409)
