from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from portal.blueprints.auth.services import safe_next
from portal.blueprints.main import bp
from portal.blueprints.main.forms import LanguageForm
from portal.blueprints.main.services import home_summary
from portal.blueprints.users.forms import ROLE_LABELS
from portal.extensions import db


@bp.route("/")
@login_required
def home():
    summary = home_summary(current_user)
    return render_template(
        f"main/home_{current_user.role}.html", summary=summary, role_labels=ROLE_LABELS
    )


@bp.route("/bahasa", methods=["POST"])
def set_language():
    form = LanguageForm()
    lang = request.form.get("lang", "")
    if form.validate_on_submit() and lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("main.home"))


@bp.route("/sehat")
def health():
    """For load balancers: the app answers and reaches its database."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
