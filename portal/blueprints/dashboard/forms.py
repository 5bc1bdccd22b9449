"""The dashboard's filter: which kecamatan, how many months. A GET form (it changes nothing), so
it carries no CSRF token; the values are checked here, and the kecamatan against the user's scope
in the route."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional, Regexp, ValidationError

from portal.blueprints.dashboard.services import DEFAULT_PERIOD, PERIODS
from portal.forms import FlaskForm


def _months(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


class DashboardFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kecamatan = StringField(
        _l("Kecamatan"),
        validators=[
            Optional(),
            Regexp(r"^\d{6}$", message=_l("Kode kecamatan harus 6 angka, tanpa titik.")),
        ],
    )
    # Checked by validate_bulan: WTForms' own "Not a valid choice" is English only.
    bulan = SelectField(
        _l("Periode"),
        choices=[SelectChoice(n, _l("%(n)d bulan terakhir", n=n)) for n in PERIODS],
        coerce=_months,
        default=DEFAULT_PERIOD,
        validate_choice=False,
    )

    def validate_bulan(self, field: SelectField) -> None:
        if field.data not in PERIODS:
            raise ValidationError(_l("Pilih periode 3, 6, 12 atau 24 bulan."))
