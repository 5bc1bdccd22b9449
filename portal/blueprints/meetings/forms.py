from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import NumberRange, Optional

from portal.blueprints.meetings.models import PROPOSER_LABELS, UNSUR_LABELS
from portal.blueprints.register.models import MEETING_REASON_LABELS
from portal.forms import FlaskForm, max_length, required

REASON_LABELS = MEETING_REASON_LABELS
# The codes' labels as the meeting templates look them up (`labels.unsur[p.unsur]`).
LABELS = {"unsur": UNSUR_LABELS, "reason": REASON_LABELS, "proposer": PROPOSER_LABELS}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class MeetingForm(FlaskForm):
    number = StringField(_l("Nomor berita acara"), validators=[required(), max_length(60)])
    meeting_date = DateField(_l("Tanggal"), validators=[required()])
    start_time = TimeField(_l("Jam mulai"), validators=[Optional()])
    place = StringField(_l("Tempat"), validators=[required(), max_length(200)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), max_length(2000)])
    # Each signatory is picked from the participants (the name printed under the signature) or,
    # as a fallback, typed; the services require the chair and the notulen.
    chair_pick = SelectField(_l("Pimpinan musyawarah (dari peserta)"), validate_choice=False)
    chair_name = StringField(
        _l("Pimpinan musyawarah"),
        validators=[Optional(), max_length(200)],
        description=_l("Biasanya kepala desa/lurah."),
    )
    notulen_pick = SelectField(_l("Notulen (dari peserta)"), validate_choice=False)
    notulen_name = StringField(_l("Notulen"), validators=[Optional(), max_length(200)])
    bpd_pick = SelectField(_l("Ketua BPD/LPM (dari peserta)"), validate_choice=False)
    bpd_name = StringField(_l("Ketua BPD/LPM"), validators=[Optional(), max_length(200)])
    period = StringField(_l("Periode register (TTTT-BB)"), validators=[required(), max_length(7)])
    version = HiddenField()


class ParticipantForm(FlaskForm):
    name = StringField(_l("Nama"), validators=[required(), max_length(200)])
    unsur = SelectField(_l("Unsur"), choices=_choices(UNSUR_LABELS), validate_choice=False)
    position = StringField(_l("Jabatan"), validators=[Optional(), max_length(120)])
    votes = BooleanField(_l("Memiliki hak suara"), default=True)
    nik = StringField(_l("NIK (opsional)"), validators=[Optional(), max_length(20)])
    phone = StringField(_l("Telepon (opsional)"), validators=[Optional(), max_length(32)])


class RemovalForm(FlaskForm):
    household_id = HiddenField(validators=[required()])
    reason = SelectField(
        _l("Alasan keluar"), choices=_choices(REASON_LABELS), validate_choice=False
    )
    reason_text = StringField(_l("Alasan lain"), validators=[Optional(), max_length(500)])
    proposer = SelectField(
        _l("Diusulkan oleh"), choices=_choices(PROPOSER_LABELS), validate_choice=False
    )
    proposer_name = StringField(_l("Nama pengusul"), validators=[Optional(), max_length(200)])
    note = TextAreaField(_l("Catatan"), validators=[Optional(), max_length(2000)])
    photo = FileField(
        _l("Foto bukti (opsional, JPEG/PNG, maks. 5 MB)"),
        render_kw={"accept": "image/jpeg,image/png", "capture": "environment"},
    )


class CorrectionForm(FlaskForm):
    household_id = HiddenField(validators=[required()])
    alamat = StringField(_l("Alamat"), validators=[Optional(), max_length(300)])
    dusun = StringField(_l("Dusun"), validators=[Optional(), max_length(100)])
    rt = StringField(_l("RT"), validators=[Optional(), max_length(3)])
    rw = StringField(_l("RW"), validators=[Optional(), max_length(3)])
    new_members = TextAreaField(
        _l("Anggota baru (opsional)"),
        validators=[Optional(), max_length(5000)],
        description=_l("Satu orang per baris: NIK; nama; hubungan keluarga."),
    )
    proposer = SelectField(
        _l("Diusulkan oleh"), choices=_choices(PROPOSER_LABELS), validate_choice=False
    )
    proposer_name = StringField(_l("Nama pengusul"), validators=[Optional(), max_length(200)])
    note = TextAreaField(_l("Catatan"), validators=[Optional(), max_length(2000)])
    photo = FileField(
        _l("Foto bukti (opsional, JPEG/PNG, maks. 5 MB)"),
        render_kw={"accept": "image/jpeg,image/png", "capture": "environment"},
    )


class NewFamilyForm(FlaskForm):
    kk = StringField(_l("No. KK"), validators=[required(), max_length(20)])
    alamat = StringField(_l("Alamat"), validators=[Optional(), max_length(300)])
    rt = StringField(_l("RT"), validators=[Optional(), max_length(3)])
    rw = StringField(_l("RW"), validators=[Optional(), max_length(3)])
    members = TextAreaField(
        _l("Anggota keluarga"),
        validators=[required(), max_length(5000)],
        description=_l(
            "Satu orang per baris: NIK; nama; hubungan keluarga "
            "(misalnya 3201234567890123; Siti Aminah; KEPALA KELUARGA)."
        ),
    )
    proposer = SelectField(
        _l("Diusulkan oleh"), choices=_choices(PROPOSER_LABELS), validate_choice=False
    )
    proposer_name = StringField(_l("Nama pengusul"), validators=[Optional(), max_length(200)])
    note = TextAreaField(_l("Catatan"), validators=[Optional(), max_length(2000)])
    photo = FileField(
        _l("Foto bukti (opsional, JPEG/PNG, maks. 5 MB)"),
        render_kw={"accept": "image/jpeg,image/png", "capture": "environment"},
    )


class TallyForm(FlaskForm):
    yes = IntegerField(_l("Setuju"), validators=[NumberRange(min=0)], default=0)
    no = IntegerField(_l("Tidak setuju"), validators=[NumberRange(min=0)], default=0)
    abstain = IntegerField(_l("Abstain"), validators=[NumberRange(min=0)], default=0)


class PlainForm(FlaskForm):
    """Only the CSRF token (buttons)."""


class RulesForm(FlaskForm):
    quorum_num = IntegerField(_l("Kuorum: pembilang"), validators=[NumberRange(min=1, max=99)])
    quorum_den = IntegerField(_l("Kuorum: penyebut"), validators=[NumberRange(min=1, max=99)])
    majority_num = IntegerField(
        _l("Keputusan suara: pembilang"), validators=[NumberRange(min=1, max=99)]
    )
    majority_den = IntegerField(
        _l("Keputusan suara: penyebut"), validators=[NumberRange(min=2, max=99)]
    )
    ba_camat_block = BooleanField(_l('Berita acara memuat blok "Mengetahui, Camat"'))
    cycle_last_day = IntegerField(
        _l("Musyawarah diadakan pada tanggal 1 sampai"),
        validators=[Optional(), NumberRange(min=1, max=31, message=_l("Isi tanggal 1–31."))],
        description=_l("Di luar jendela ini camat melihat peringatan (bawaan 14)."),
    )
    stale_months = IntegerField(
        _l("Desa berisiko data beku setelah … bulan tanpa musyawarah yang dikonfirmasi"),
        validators=[Optional(), NumberRange(min=1, max=24, message=_l("Isi 1–24 bulan."))],
        description=_l("Ditandai di dasbor (bawaan 3)."),
    )
    public_transparency = BooleanField(
        _l("Tampilkan halaman transparansi publik setiap desa/kelurahan")
    )
