"""Error pages in the user's language; never a stack trace for bad input."""

from __future__ import annotations

import contextlib
import re

from flask import Flask, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from portal.extensions import db, htmx, login_manager

# Errors that mean "the database cannot be reached" (down, restarting, connection dropped,
# SQLite locked for too long), not "this request is wrong".
DATABASE_UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError)
_LONG_NUMBERS = re.compile(r"\d{6,}")


def _page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return _page(
            400,
            _("Formulir kedaluwarsa"),
            _(
                "Token keamanan formulir tidak ada atau sudah tidak berlaku. Muat ulang halaman, "
                "lalu kirim lagi."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: (_("Permintaan tidak sah"), _("Permintaan tidak dapat diproses.")),
            403: (_("Akses ditolak"), _("Anda tidak berhak membuka halaman ini.")),
            404: (
                _("Halaman tidak ditemukan"),
                _("Halaman atau data yang Anda cari tidak ada, atau di luar wilayah Anda."),
            ),
            405: (_("Metode tidak diizinkan"), _("Alamat ini tidak menerima cara akses itu.")),
            413: (
                _("Berkas terlalu besar"),
                _(
                    "Ukuran kiriman melebihi batas %(mb)d MB.",
                    mb=(app.config["MAX_CONTENT_LENGTH"] or 0) // (1024 * 1024),
                ),
            ),
            429: (
                _("Terlalu banyak percobaan"),
                _(
                    "Terlalu banyak percobaan masuk yang gagal. Tunggu beberapa menit, lalu coba "
                    "lagi, atau minta admin mengatur ulang kata sandi Anda."
                ),
            ),
        }
        status = error.code or 500
        title, message = messages.get(status, (_("Terjadi kesalahan"), error.description or ""))
        response = error.get_response()
        body, _status = _page(status, title, message)
        response.set_data(body)
        response.content_type = "text/html; charset=utf-8"
        return response

    def database_unavailable(error: Exception):
        return _database_unavailable(app, error)

    for kind in DATABASE_UNREACHABLE:
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(500)
    def server_error(_error: Exception):
        db.session.rollback()
        return _page(
            500,
            _("Terjadi kesalahan"),
            _(
                "Terjadi kesalahan di server. Tidak ada yang tersimpan dari permintaan ini; "
                "kesalahan sudah dicatat."
            ),
        )


def _database_unavailable(app: Flask, error: Exception):
    """The database is unreachable for a moment: a clear page (503), nothing half-saved.

    The request's transaction is rolled back (nothing of it was committed). The page is drawn
    without the database: the signed-in user is not loaded again (the menu shows the signed-out
    one). The log names the failure, never the SQL or its parameters (NIKs, names)."""
    with contextlib.suppress(Exception):  # the connection is gone: nothing to roll back
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()
    app.logger.error(
        "database unreachable during %s %s: %s",
        request.method,
        request.url_rule.rule if request.url_rule else "?",
        _describe(error),
    )
    title = _("Basis data tidak dapat dihubungi")
    message = _(
        "Portal sedang tidak dapat menghubungi basis datanya. Tidak ada yang tersimpan dari "
        "permintaan ini; coba lagi sebentar lagi."
    )
    if htmx:
        # A small fragment, not a page. htmx does not swap a 503: after an action (a tap, a
        # form) the page reloads and shows the full message; a polling GET just tries again.
        body = f'<p class="flash flash-error" role="alert">{escape(title)}. {escape(message)}</p>'
        response = make_response(body, 503)
        if request.method != "GET":
            response.headers["HX-Refresh"] = "true"
    else:
        response = make_response(
            render_template("errors/error.html", status=503, title=title, message=message), 503
        )
    response.headers["Retry-After"] = "10"
    response.headers["Cache-Control"] = "no-store"
    return response


def _describe(error: Exception) -> str:
    """The error's kind and the driver's first line, without the statement or its parameters
    (which SQLAlchemy's own message includes) and with long digit runs (NIK, KK) blanked."""
    original = error.orig if isinstance(error, DBAPIError) else None
    detail = str(original if original is not None else "").strip().splitlines()
    first = _LONG_NUMBERS.sub("…", detail[0])[:200] if detail else ""
    kind = type(original).__name__ if original is not None else type(error).__name__
    return f"{kind}: {first}" if first else kind
