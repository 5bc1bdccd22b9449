from __future__ import annotations

from wtforms import HiddenField

from portal.forms import FlaskForm


class LanguageForm(FlaskForm):
    """Only the CSRF token and where to go back; the language comes from the pressed button."""

    next = HiddenField()
