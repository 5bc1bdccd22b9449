"""Form validators with Indonesian messages (WTForms ships no Indonesian catalog, so its own
messages would appear in English). Every form of the portal uses these."""

from __future__ import annotations

from typing import Any

import flask_wtf
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from portal.control_characters import has_control_characters


def required() -> DataRequired:
    return DataRequired(message=_l("Wajib diisi."))


def max_length(n: int) -> Length:
    return Length(max=n, message=_l("Paling banyak %(max)d karakter."))


def length_between(low: int, high: int) -> Length:
    return Length(low, high, message=_l("Harus %(min)d–%(max)d karakter."))


def email() -> Email:
    return Email(message=_l("Alamat surel tidak sah."))


def equal_to(field: str) -> EqualTo:
    return EqualTo(field, message=_l("Kedua kata sandi baru tidak sama."))


def no_control_characters(*, breaks_allowed: bool = False):
    """Refuses control characters (a vertical tab pasted from a spreadsheet breaks every XLSX
    export); a multi-line field may keep tab and line breaks."""

    def check(form: Any, field: Any) -> None:
        if isinstance(field.data, str) and has_control_characters(
            field.data, breaks_allowed=breaks_allowed
        ):
            raise ValidationError(
                _(
                    "Berisi karakter kontrol yang tidak terlihat (misalnya tab vertikal dari "
                    "salinan spreadsheet). Hapus lalu ketik ulang."
                )
            )

    return check


# WTForms' own messages (a field's type, a validator without our message) in Indonesian: WTForms
# has no Indonesian catalogue, and "Number must be between 1 and 99." reached the UI.
_WTFORMS_MESSAGES = {
    "This field is required.": _l("Wajib diisi."),
    "Invalid input.": _l("Isian tidak sah."),
    "Invalid email address.": _l("Alamat surel tidak sah."),
    "Not a valid choice.": _l("Pilihan tidak sah."),
    "Invalid Choice: could not coerce.": _l("Pilihan tidak sah."),
    "Not a valid integer value.": _l("Isi dengan bilangan bulat."),
    "Not a valid decimal value.": _l("Isi dengan angka."),
    "Not a valid float value.": _l("Isi dengan angka."),
    "Not a valid date value.": _l("Tanggal tidak sah."),
    "Not a valid time value.": _l("Jam tidak sah."),
    "Not a valid datetime value.": _l("Tanggal dan jam tidak sah."),
    "Number must be at least %(min)s.": _l("Angka paling kecil %(min)s."),
    "Number must be at most %(max)s.": _l("Angka paling besar %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l("Angka harus antara %(min)s dan %(max)s."),
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Harus %(min)d–%(max)d karakter."
    ),
    "Field must be at least %(min)d character long.": _l("Paling sedikit %(min)d karakter."),
    "Field cannot be longer than %(max)d character.": _l("Paling banyak %(max)d karakter."),
    "Field must be exactly %(max)d character long.": _l("Harus tepat %(max)d karakter."),
}


class _WTFormsMessages:
    """What `Meta.get_translations` hands to fields and validators."""

    def gettext(self, string: str) -> str:
        message = _WTFORMS_MESSAGES.get(string)
        return string if message is None else str(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular)


class FlaskForm(flask_wtf.FlaskForm):
    """The portal's form: Flask-WTF's, with WTForms' messages in Indonesian and control characters
    refused in every text field (tab and line breaks stay allowed in a text area). Every form
    of the portal derives from this one."""

    class Meta(flask_wtf.FlaskForm.Meta):
        def get_translations(self, form: Any) -> _WTFormsMessages:
            return _WTFormsMessages()

    def validate(self, extra_validators: dict | None = None) -> bool:
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField) and not isinstance(
                field, PasswordField | HiddenField
            ):
                check = no_control_characters(breaks_allowed=isinstance(field, TextAreaField))
                extra.setdefault(name, []).append(check)
        return super().validate(extra_validators=extra)
