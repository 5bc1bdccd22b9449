from __future__ import annotations

import time

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal import audit
from portal.blueprints.auth import bp, throttle
from portal.blueprints.auth.forms import ChangePasswordForm, LoginForm
from portal.blueprints.auth.services import (
    account_address_key,
    address_key,
    login_failed,
    safe_next,
)
from portal.blueprints.users import services as users
from portal.extensions import db, limiter
from portal.refusal import Refused


def _account_address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ACCOUNT_ADDRESS"]


def _address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ADDRESS"]


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(_address_limit, key_func=address_key, methods=["POST"], deduct_when=login_failed)
@limiter.limit(
    _account_address_limit,
    key_func=account_address_key,
    methods=["POST"],
    deduct_when=login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        account = form.username.data.strip().lower()[:64]
        owner = users.find_by_username(account)
        trusted = throttle.known_device(owner.id if owner else None)
        wait = 0 if trusted else throttle.wait_seconds(account)
        if wait:
            form.password.errors.append(
                _(
                    "Akun ini sedang menerima banyak percobaan masuk yang gagal. Tunggu %(s)d "
                    "detik, lalu coba lagi. Di perangkat yang pernah Anda pakai untuk masuk, "
                    "Anda tidak perlu menunggu.",
                    s=wait,
                )
            )
            return render_template("auth/login.html", form=form), 429
        user = users.authenticate(form.username.data, form.password.data)
        if user is None:
            g.login_failed = True
            throttle.record_failure(account)
            audit.record(
                "auth.login_failed",
                object_type="user" if owner else None,
                object_id=owner.id if owner else None,
                region_code=owner.region_code if owner else None,
                details={"username": account},
            )
            db.session.commit()
            form.password.errors.append(_("Nama pengguna atau kata sandi salah."))
        elif not user.active:
            g.login_failed = True
            form.username.errors.append(
                _("Akun ini dinonaktifkan. Hubungi admin dinas sosial kabupaten/kota Anda.")
            )
        else:
            lang = session.get("lang")
            session.clear()  # no session data survives from before the login
            if lang:
                session["lang"] = lang
            login_user(user)
            session.permanent = True
            session["login_at"] = int(time.time())
            users.record_login(user)
            db.session.commit()
            target = safe_next(request.args.get("next")) or url_for("main.home")
            return throttle.remember_device(redirect(target), user.id)
    return render_template("auth/login.html", form=form)


@bp.route("/keluar", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # A new session token ends this session everywhere: a copy of the cookie taken before
        # the logout (a shared computer in the village hall) no longer opens the portal.
        users.end_sessions(current_user)
        audit.record(
            "auth.logout",
            object_type="user",
            object_id=current_user.id,
            region_code=current_user.region_code,
        )
        db.session.commit()
    logout_user()
    flash(_("Anda telah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/akun/kata-sandi", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            users.change_password(current_user, form.current_password.data, form.new_password.data)
        except Refused as error:
            getattr(form, error.field or "new_password").errors.append(error.message)
        else:
            db.session.commit()
            login_user(
                current_user._get_current_object()
            )  # the token rotated: keep this session, end the others
            flash(_("Kata sandi diganti."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
