from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional

from portal.access import ROLES
from portal.blueprints.regions.models import Region
from portal.blueprints.regions.services import regions_in_scope
from portal.forms import FlaskForm, email, length_between, max_length, required

ROLE_LABELS = {
    "admin": _l("Admin dinas sosial"),
    "sekretaris": _l("Sekretaris desa/kelurahan"),
    "camat": _l("Camat"),
    "operator": _l("Operator SIKS-NG"),
}


def region_label(region: Region) -> str:
    return f"{region.display_name} ({region.dotted_code})"


def region_choices(prefix: str) -> list[SelectChoice]:
    """Regions under the admin's kabupaten, grouped by kecamatan for the select's optgroups."""
    choices: list[SelectChoice] = []
    group = ""
    for region in regions_in_scope(prefix, (2, 3, 4)):
        if region.level == 2:
            group = region_label(region)
        elif region.level == 3:
            group = str(_l("Kecamatan %(name)s", name=region.name))
        choices.append(SelectChoice(region.code, region_label(region), optgroup=group))
    return choices


class UserForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[required(), length_between(3, 64)])
    full_name = StringField(_l("Nama lengkap"), validators=[required(), max_length(200)])
    email = EmailField(_l("Surel"), validators=[Optional(), email(), max_length(254)])
    phone = TelField(_l("Telepon"), validators=[Optional(), max_length(32)])
    nip = StringField(
        _l("NIP"),
        validators=[Optional(), max_length(40)],
        description=_l("Untuk camat: dicetak bersama konfirmasinya pada berita acara."),
    )
    # The service checks role and region (in scope, level fits the role) with its own messages.
    role = SelectField(
        _l("Peran"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES], validate_choice=False
    )
    region_code = SelectField(_l("Wilayah"), validate_choice=False)
    password = PasswordField(
        _l("Kata sandi awal"),
        validators=[Optional()],
        description=_l(
            "Kosongkan agar portal membuat kata sandi sementara. Pengguna wajib menggantinya "
            "saat pertama masuk, juga kata sandi yang Anda isi di sini."
        ),
    )

    def set_region_choices(self, prefix: str) -> None:
        self.region_code.choices = region_choices(prefix)


class EditUserForm(UserForm):
    username = None
    password = None
