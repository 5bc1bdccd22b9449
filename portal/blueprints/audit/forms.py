"""The trail's filter: a GET form (it changes nothing), so it carries no CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional, Regexp, ValidationError

from portal.blueprints.audit.services import GROUPS
from portal.forms import FlaskForm


class _Date(DateField):
    """A date with an Indonesian message (WTForms has no Indonesian catalogue)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Tanggal tidak valid; tulis seperti 2026-11-23.")) from error


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kelompok = SelectField(
        _l("Jenis kegiatan"),
        choices=[SelectChoice("", _l("Semua"))] + [SelectChoice(k, v) for k, v in GROUPS.items()],
        default="",
        validate_choice=False,
    )
    pengguna = StringField(_l("Nama pengguna"), validators=[Optional(), Length(max=64)])
    wilayah = StringField(
        _l("Kode wilayah"),
        validators=[
            Optional(),
            Regexp(r"^\d{2,10}$", message=_l("Kode wilayah 2 sampai 10 angka, tanpa titik.")),
        ],
    )
    dari = _Date(_l("Dari tanggal"), validators=[Optional()])
    sampai = _Date(_l("Sampai tanggal"), validators=[Optional()])

    def validate_kelompok(self, field: SelectField) -> None:
        if field.data and field.data not in GROUPS:
            raise ValidationError(_l("Pilih jenis kegiatan dari daftar."))

    def validate_sampai(self, field: DateField) -> None:
        if field.data and self.dari.data and field.data < self.dari.data:
            raise ValidationError(_l("Tanggal akhir tidak boleh sebelum tanggal awal."))
