"""Error pages in the user's language; never a stack trace for bad input."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from portal.extensions import db


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

    @app.errorhandler(OperationalError)
    def database_unavailable(_error: OperationalError):
        db.session.rollback()
        app.logger.exception("database error")
        return _page(
            503,
            _("Basis data tidak dapat dihubungi"),
            _(
                "Portal sedang tidak dapat menghubungi basis datanya. Tidak ada yang "
                "tersimpan dari permintaan ini; coba lagi sebentar lagi."
            ),
        )

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
