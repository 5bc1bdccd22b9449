from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from portal.forms import FlaskForm, equal_to, max_length, required


class LoginForm(FlaskForm):
    username = StringField(
        _l("Nama pengguna"),
        validators=[DataRequired(message=_l("Isi nama pengguna.")), max_length(64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Kata sandi"),
        validators=[DataRequired(message=_l("Isi kata sandi.")), max_length(256)],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Kata sandi saat ini"),
        validators=[required()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("Kata sandi baru"),
        validators=[required(), max_length(256)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[required(), equal_to("new_password")],
        render_kw={"autocomplete": "new-password"},
    )
