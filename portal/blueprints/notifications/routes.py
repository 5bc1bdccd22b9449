"""The bell: the user's own notifications, marked read one by one or all at once."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.access import require
from portal.blueprints.notifications import services
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
    return services.message(notification)


@bp.route("/")
@require("view_notifications")
def index():
    return render_template(
        "notifications/index.html",
        notifications=services.of_user(current_user),
        form=FlaskForm(),
        target=services.target,
    )


@bp.route("/<int:notification_id>/buka", methods=["POST"])
@require("view_notifications")
def open_one(notification_id: int):
    """Mark it read and go where it leads (only the user's own: another's is 404)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user, notification.id)
    db.session.commit()
    return redirect(services.target(notification))


@bp.route("/baca-semua", methods=["POST"])
@require("view_notifications")
def read_all():
    if FlaskForm().validate_on_submit():
        services.mark_read(current_user)
        db.session.commit()
    if htmx:
        return render_template("notifications/_bell.html")
    return redirect(url_for("notifications.index"))
