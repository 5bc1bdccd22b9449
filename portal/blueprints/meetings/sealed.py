"""A locked meeting refuses every change with HTTP 409, before any view runs.

The database refuses too (triggers of migration 0004); this answers first, with words, and
writes nothing. Only meetings in the user's scope are looked at: for others the view's own
404 stands (a 409 would tell another region that the meeting exists).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, flash, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import can, find_scoped
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.extensions import htmx

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def reads_only(view: F) -> F:
    """Marks a view whose POST only reads (a search form that posts, keeping a NIK out of the
    address): a sealed meeting has nothing to refuse there. Put it right under `@bp.route`."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def refuse_changes_when_sealed():
    if request.method in SAFE_METHODS or not current_user.is_authenticated:
        return None
    endpoint = request.endpoint  # None: no route matched
    view = current_app.view_functions.get(endpoint) if endpoint is not None else None
    if getattr(view, "reads_only", False):
        return None
    meeting_id = (request.view_args or {}).get("meeting_id")
    if meeting_id is None:
        return None
    # The view changes this meeting next: load it as the view would (locked), once for both.
    # A user the view will refuse (403) only reads: no lock for a request that changes nothing.
    capability = getattr(view, "required_capability", None)
    allowed = capability is None or can(capability)
    meeting = find_scoped(Meeting, meeting_id, lock=allowed)
    if meeting is None:
        return None
    if meeting.state not in states.SEALED:
        if allowed:
            g.locked_meeting = meeting
        return None
    state = meeting.state
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
