"""Login sessions: loading the user, throttling keys, the forced password change."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload
from werkzeug.wrappers import Response

from portal.blueprints.users.models import User
from portal.extensions import db, login_manager

# The user of a request, loaded by a statement built once (`db.session.get` builds its query
# anew each time); the region is loaded only where a page shows it.
_USER_BY_ID = select(User).where(User.id == bindparam("id")).options(lazyload(User.region))

# Endpoints a user who must change their password may still reach.
_OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static", "main.set_language"}


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Silakan masuk untuk membuka halaman ini.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # The id carries the session token: a reset password, a disabled account or a changed
        # scope rotates the token, and every older session ends here.
        user_id, _, token = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.execute(_USER_BY_ID, {"id": int(user_id)}).scalar_one_or_none()
        if user is None or not user.active or user.session_token != token:
            return None
        return user

    @app.before_request
    def session_rules() -> Response | None:
        """A session ends after SESSION_MAX_HOURS whatever its activity (the idle limit is
        PERMANENT_SESSION_LIFETIME, enforced by the signed cookie's age); a user who must change
        their password reaches nothing else."""
        if not current_user.is_authenticated:
            return None
        started = session.get("login_at")
        limit = float(current_app.config["SESSION_MAX_HOURS"]) * 3600
        if started is None or time.time() - float(started) > limit:
            lang = session.get("lang")
            logout_user()
            session.clear()
            if lang:
                session["lang"] = lang
            flash(_("Sesi Anda sudah berakhir. Silakan masuk lagi."), "info")
            target = url_for("auth.login")
            if request.headers.get("HX-Request"):
                return Response(status=204, headers={"HX-Redirect": target})
            return redirect(target)
        if current_user.must_change_password and request.endpoint not in _OPEN_WHILE_CHANGING:
            return redirect(url_for("auth.change_password"))
        return None


def account_address_key() -> str:
    """Flask-Limiter key for failed logins on one account from one address."""
    username = (request.form.get("username") or "").strip().lower()[:64]
    digest = hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()[:32]
    return f"login-account-address:{digest}:{request.remote_addr}"


def address_key() -> str:
    return f"login-address:{request.remote_addr}"


def login_failed(_response: Response) -> bool:
    """Only failed attempts count against the limits."""
    return bool(g.get("login_failed"))


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after login, or None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
