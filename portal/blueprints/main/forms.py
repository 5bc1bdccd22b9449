from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class LanguageForm(FlaskForm):
    """Only the CSRF token and where to go back; the language comes from the pressed button."""

    next = HiddenField()
