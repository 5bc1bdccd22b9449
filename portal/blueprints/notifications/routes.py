"""The bell: the user's own notifications, marked read one by one or all at once."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.access import require
from portal.blueprints.notifications import services, wording
from portal.blueprints.notifications.models import Notification
from portal.extensions import db, htmx

bp = Blueprint("notifications", __name__)


@bp.app_template_global()
def unread_notifications() -> int:
    """The bell's count: one COUNT query, only on full pages of logged-in users."""
    if not current_user.is_authenticated:
        return 0
    return services.unread_count(current_user)


@bp.app_template_global()
def notification_text(notification: Notification) -> str:
    return wording.message(notification)


def _own(notification_id: int) -> Notification:
    """The user's own notification; another's is "not found", as if it did not exist."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    return notification


def _read_response(**context):
    """htmx: the swapped part with the bell out of band; without JavaScript: back to the list."""
    if not htmx:
        return redirect(url_for("notifications.index"))
    response = make_response(
        render_template(
            "notifications/_read_response.html",
            form=FlaskForm(),
            bell_unread=services.unread_count(current_user),
            **context,
        )
    )
    response.vary.add("HX-Request")
    return response


@bp.route("/")
@require("view_notifications")
def index():
    return render_template(
        "notifications/index.html",
        notifications=services.of_user(current_user),
        bell_unread=services.unread_count(current_user),
        form=FlaskForm(),
    )


@bp.route("/<int:notification_id>/buka", methods=["POST"])
@require("view_notifications")
def open_one(notification_id: int):
    """Mark it read and go where it leads (only the user's own: another's is 404)."""
    notification = _own(notification_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user, notification.id)
    db.session.commit()
    return redirect(wording.target(notification))


@bp.route("/<int:notification_id>/baca", methods=["POST"])
@require("view_notifications")
def read_one(notification_id: int):
    """Mark one read and stay on the list."""
    notification = _own(notification_id)
    if FlaskForm().validate_on_submit():
        services.mark_read(current_user, notification.id)
        db.session.commit()
        db.session.refresh(notification)
    return _read_response(n=notification)


@bp.route("/baca-semua", methods=["POST"])
@require("view_notifications")
def read_all():
    if FlaskForm().validate_on_submit():
        services.mark_read(current_user)
        db.session.commit()
    return _read_response(notifications=services.of_user(current_user))
