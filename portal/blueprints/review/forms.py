from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from portal.blueprints.review.services import NOTE_MAX
from portal.forms import FlaskForm, max_length, required


class ConfirmForm(FlaskForm):
    note = TextAreaField(_l("Catatan (tidak wajib)"), validators=[max_length(NOTE_MAX)])


class ReturnForm(FlaskForm):
    note = TextAreaField(
        _l("Alasan pengembalian untuk sekretaris desa"),
        validators=[required(), max_length(NOTE_MAX)],
        description=_l("Sekretaris memperbaikinya dengan musyawarah adendum."),
    )


class AddendumForm(FlaskForm):
    """Only the CSRF token: "create the addendum meeting"."""
