"""The areas of the portal, one folder each with the same shape.

Each area folder holds `__init__.py` (its blueprint), `routes.py`, `forms.py`, `models.py` and
`services.py` (the rules, which write the audit entry and never commit), plus `cli.py` where the
area has commands. Templates live in `portal/templates/<area>/`.
"""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from portal.blueprints.audit import bp as audit_bp
    from portal.blueprints.auth import bp as auth_bp
    from portal.blueprints.berita_acara import bp as ba_bp
    from portal.blueprints.berita_acara import public_bp as verification_bp
    from portal.blueprints.dashboard import bp as dashboard_bp
    from portal.blueprints.entry import bp as entry_bp
    from portal.blueprints.main import bp as main_bp
    from portal.blueprints.meetings import bp as meetings_bp
    from portal.blueprints.notifications import bp as notifications_bp
    from portal.blueprints.regions import bp as regions_bp
    from portal.blueprints.register import bp as register_bp
    from portal.blueprints.review import bp as review_bp
    from portal.blueprints.transparency import bp as transparency_bp
    from portal.blueprints.users import bp as users_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(regions_bp, url_prefix="/wilayah")
    app.register_blueprint(users_bp, url_prefix="/admin/pengguna")
    app.register_blueprint(register_bp, url_prefix="/keluarga")
    app.register_blueprint(meetings_bp, url_prefix="/musyawarah")
    app.register_blueprint(ba_bp, url_prefix="/musyawarah")
    app.register_blueprint(verification_bp, url_prefix="/verifikasi")
    app.register_blueprint(review_bp, url_prefix="/konfirmasi")
    app.register_blueprint(entry_bp, url_prefix="/entri")
    app.register_blueprint(dashboard_bp, url_prefix="/dasbor")
    app.register_blueprint(notifications_bp, url_prefix="/notifikasi")
    app.register_blueprint(transparency_bp, url_prefix="/transparansi")
    app.register_blueprint(audit_bp, url_prefix="/jejak-audit")
