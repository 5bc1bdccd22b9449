"""Form validators with Indonesian messages (WTForms ships no Indonesian catalog, so its own
messages would appear in English). Every form of the portal uses these."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Email, EqualTo, Length


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
