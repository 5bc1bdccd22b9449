from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields import SelectChoice

from portal.forms import FlaskForm, max_length


class UploadForm(FlaskForm):
    target = SelectField(_l("Wilayah tujuan"), validate_choice=False)
    file = FileField(
        _l("Berkas ekspor register"),
        validators=[FileRequired(message=_l("Pilih berkas untuk diunggah."))],
        description=_l("XLSX, CSV (koma atau titik koma) atau teks dengan pemisah |."),
        render_kw={
            "accept": ".xlsx,.csv,.txt,text/csv,application/vnd.openxmlformats-"
            "officedocument.spreadsheetml.sheet,text/plain"
        },
    )

    def set_targets(self, choices: list[SelectChoice]) -> None:
        self.target.choices = choices


class SearchForm(FlaskForm):
    """Sent by POST so that a NIK typed into the search never lands in a URL or an access log."""

    q = StringField(_l("Cari nama, NIK, No. KK atau RT/RW"), validators=[max_length(100)])
    halaman = HiddenField()


class ConfirmForm(FlaskForm):
    """Only the CSRF token."""
