from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField

from portal.forms import FlaskForm


class RequestForm(FlaskForm):
    """Only the CSRF token: "generate and lock"."""


class ScanForm(FlaskForm):
    scan = FileField(_l("Pindaian berita acara yang ditandatangani (PDF, JPEG atau PNG)"))


class VerifyForm(FlaskForm):
    pdf = FileField(_l("Berkas PDF berita acara"))
