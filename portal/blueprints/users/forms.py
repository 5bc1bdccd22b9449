from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.access import ROLE_SCOPE_LEVELS, ROLES
from portal.blueprints.regions.models import Region
from portal.blueprints.regions.services import regions_in_scope

ROLE_LABELS = {
    "admin": _l("Admin dinas sosial"),
    "sekretaris": _l("Sekretaris desa/kelurahan"),
    "camat": _l("Camat"),
    "operator": _l("Operator SIKS-NG"),
}


def region_label(region: Region) -> str:
    kind = {
        "kabupaten": _l("Kabupaten"),
        "kota": _l("Kota"),
        "kecamatan": _l("Kecamatan"),
        "desa": _l("Desa"),
        "kelurahan": _l("Kelurahan"),
    }.get(region.kind, "")
    name = region.name
    if region.level == 2:
        return f"{name} ({region.dotted_code})"
    return f"{kind} {name} ({region.dotted_code})"


def region_choices(prefix: str) -> dict[str, list[tuple[str, str]]]:
    """Regions under the admin's kabupaten, grouped by kecamatan for the select's optgroups."""
    groups: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for region in regions_in_scope(prefix, (2, 3, 4)):
        if region.level == 2:
            current = region_label(region)
        elif region.level == 3:
            current = str(_l("Kecamatan %(name)s", name=region.name))
        groups.setdefault(current, []).append((region.code, region_label(region)))
    return groups


class UserForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(), Length(3, 64)])
    full_name = StringField(_l("Nama lengkap"), validators=[DataRequired(), Length(1, 200)])
    email = EmailField(_l("Surel"), validators=[Optional(), Email(), Length(max=254)])
    phone = TelField(_l("Telepon"), validators=[Optional(), Length(max=32)])
    role = SelectField(_l("Peran"), choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    region_code = SelectField(_l("Wilayah"), validate_choice=True)
    password = PasswordField(
        _l("Kata sandi awal"),
        validators=[Optional()],
        description=_l("Kosongkan agar portal membuat kata sandi sementara."),
    )

    def set_region_choices(self, prefix: str) -> None:
        self.region_code.choices = region_choices(prefix)


class EditUserForm(UserForm):
    username = None  # type: ignore[assignment]
    password = None  # type: ignore[assignment]


def role_levels_text() -> dict[str, tuple[int, ...]]:
    return ROLE_SCOPE_LEVELS
