from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import Optional

from portal.blueprints.entry.services import REASON_MAX
from portal.forms import FlaskForm, max_length

CATEGORY_LABELS = {
    "tetap": _l("Tetap"),
    "keluar": _l("Keluar"),
    "baru": _l("Baru"),
    "perbaikan": _l("Perbaikan"),
}
MARK_LABELS = {
    "belum": _l("Belum"),
    "dientri": _l("Dientri"),
    "ditolak": _l("Ditolak"),
}


class MarkForm(FlaskForm):
    """One family: the pressed button gives the status (entered / rejected); the filters of the
    page come along so that the operator lands back where they were."""

    status = HiddenField()
    reason = StringField(
        _l("Alasan ditolak SIKS-NG"), validators=[Optional(), max_length(REASON_MAX)]
    )
    kategori = HiddenField()
    tanda = HiddenField()
    halaman = HiddenField()


class BulkMarkForm(MarkForm):
    """Several families: the ticked ones (`keluarga`, read from the request), or every family of
    the shown category that has no mark yet (`aksi=semua_belum`)."""

    aksi = HiddenField()
