"""Portal Musyawarah: the Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import load_config, public_url
from portal.extensions import (
    babel,
    check_limits_in_views_only,
    csrf,
    db,
    htmx,
    limiter,
    login_manager,
    migrate,
)
from portal.sessions import ThrottledRefreshSessionInterface


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error pages, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    app.session_interface = ThrottledRefreshSessionInterface()
    if app.config["PROXY_FIX"]:
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    import portal.models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
    from portal import i18n
    from portal.blueprints.auth.services import init_login

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    check_limits_in_views_only(app)
    init_login(app)
    i18n.init_app(app)

    from portal.blueprints import register_blueprints

    register_blueprints(app)
    app.add_template_global(public_url)

    from portal import errors, jobs, web

    errors.init_app(app)
    web.init_app(app)
    jobs.init_app(app)

    from portal.cli import register_cli

    register_cli(app)
    if not app.config.get("BA_SIGNING_PKCS12"):
        # The berita acara's signing key: made once, at first start, in instance/signing/.
        from portal.blueprints.berita_acara.signing import ensure_key

        try:
            ensure_key(app.instance_path)
        except OSError as error:  # a read-only instance folder: signing will say so
            app.logger.warning("signing key not created: %s", error)
    return app
