"""What an audit entry says, in words: its action and its details as a person reads them.

The entries keep their keys (`meeting.check_in`, `walk_in: false`); the trail's page shows the
labels. Every action written anywhere in `portal/` has a label here (a test reads the code to
check); an unknown key still reads like words ("Musyawarah: check in").
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.blueprints.audit.services import GROUPS

ACTIONS: dict[str, Any] = {
    "auth.login": _l("Masuk"),
    "auth.login_failed": _l("Gagal masuk"),
    "auth.logout": _l("Keluar"),
    "user.create": _l("Akun dibuat"),
    "user.update": _l("Akun diubah"),
    "user.enable": _l("Akun diaktifkan"),
    "user.disable": _l("Akun dinonaktifkan"),
    "user.reset_password": _l("Kata sandi diatur ulang"),
    "user.change_password": _l("Kata sandi diganti"),
    "regions.import": _l("Data wilayah diimpor"),
    "register.import_upload": _l("Berkas prelist diunggah"),
    "register.import_confirm": _l("Impor prelist dikonfirmasi"),
    "register.import_cancel": _l("Impor prelist dibatalkan"),
    "register.import_apply": _l("Prelist diterapkan ke register"),
    "register.import_stalled": _l("Impor prelist macet dihentikan"),
    "register.export": _l("Register diunduh"),
    "meeting.create": _l("Musyawarah dibuat"),
    "meeting.update": _l("Rincian musyawarah diubah"),
    "meeting.rules": _l("Aturan musyawarah diubah"),
    "meeting.schedule": _l("Musyawarah dijadwalkan"),
    "meeting.open": _l("Musyawarah dibuka"),
    "meeting.decide": _l("Keputusan ditetapkan"),
    "meeting.reopen": _l("Musyawarah dibuka kembali"),
    "meeting.lock": _l("Musyawarah dikunci"),
    "meeting.confirm": _l("Musyawarah dikonfirmasi camat"),
    "meeting.return": _l("Musyawarah dikembalikan camat"),
    "meeting.cancel": _l("Musyawarah dibatalkan"),
    "meeting.participant_add": _l("Peserta ditambahkan"),
    "meeting.participant_remove": _l("Peserta dihapus"),
    "meeting.participants_copy": _l("Peserta disalin dari musyawarah sebelumnya"),
    "meeting.check_in": _l("Kehadiran dicatat"),
    "meeting.check_out": _l("Kehadiran dibatalkan"),
    "meeting.proposal_add": _l("Usulan ditambahkan"),
    "meeting.proposal_withdraw": _l("Usulan ditarik"),
    "meeting.proposal_disputed": _l("Keberatan atas usulan dicatat"),
    "meeting.decide_consensus": _l("Diputuskan secara mufakat"),
    "meeting.decide_tally": _l("Diputuskan dengan hitungan suara"),
    "meeting.decide_named": _l("Diputuskan dengan voting bernama"),
    "meeting.decide_batch": _l("Usulan diputuskan sekaligus"),
    "meeting.named_vote_open": _l("Voting bernama dibuka"),
    "meeting.vote": _l("Suara diberikan"),
    "meeting.addendum_create": _l("Musyawarah adendum dibuat"),
    "meeting.decision_reopen": _l("Keputusan dibuka kembali untuk dikoreksi"),
    "meeting.walk_in_correct": _l("Data peserta tambahan dikoreksi"),
    "meeting.walk_in_remove": _l("Peserta tambahan dihapus"),
    "berita_acara.request": _l("Berita acara diminta"),
    "berita_acara.locked": _l("Berita acara ditandatangani dan dikunci"),
    "berita_acara.failed": _l("Pembuatan berita acara gagal"),
    "berita_acara.scan": _l("Pindaian berita acara diunggah"),
    "berita_acara.download_pdf": _l("Berita acara (PDF) diunduh"),
    "berita_acara.download_json": _l("Daftar keputusan (JSON) diunduh"),
    "berita_acara.download_scan": _l("Pindaian berita acara diunduh"),
    "berita_acara.download_confirmed_pdf": _l("Berita acara terkonfirmasi diunduh"),
    "berita_acara.certificate_trusted": _l("Sertifikat penandatangan dinyatakan tepercaya"),
    "review.confirmed": _l("Dikonfirmasi camat"),
    "review.returned": _l("Dikembalikan camat"),
    "entry.mark": _l("Keluarga ditandai di SIKS-NG"),
    "entry.download": _l("Daftar keputusan diunduh untuk entri"),
    "transparency.set": _l("Halaman transparansi diatur"),
    "dashboard.download": _l("Data dasbor diunduh"),
}

DETAILS: dict[str, Any] = {
    "abstain": _l("abstain"),
    "added": _l("ditambahkan"),
    "addendum_of": _l("adendum atas musyawarah"),
    "after": _l("sesudah"),
    "before": _l("sebelum"),
    "berita_acara": _l("berita acara"),
    "camat_block": _l("blok tanda tangan camat"),
    "changed": _l("diubah"),
    "changes": _l("perubahan"),
    "choice": _l("pilihan"),
    "corrected": _l("diperbaiki"),
    "disputed": _l("ada keberatan"),
    "earlier": _l("keputusan sebelumnya"),
    "held": _l("dilaksanakan"),
    "enabled": _l("aktif"),
    "error": _l("galat"),
    "families": _l("keluarga"),
    "file": _l("berkas"),
    "filename": _l("nama berkas"),
    "format": _l("format"),
    "from": _l("dari status"),
    "from_meeting": _l("dari musyawarah"),
    "kind": _l("jenis"),
    "months": _l("bulan"),
    "name": _l("nama"),
    "nik": _l("NIK"),
    "no": _l("tidak setuju"),
    "note": _l("catatan"),
    "note_length": _l("panjang catatan"),
    "number": _l("nomor"),
    "pages": _l("halaman"),
    "participant": _l("peserta"),
    "pdf_sha256": _l("sidik PDF (SHA-256)"),
    "proposal": _l("usulan"),
    "proposals": _l("usulan"),
    "reason": _l("alasan"),
    "rejected": _l("ditolak"),
    "removed": _l("dikeluarkan"),
    "replaced": _l("menggantikan yang lama"),
    "role": _l("peran"),
    "scan_sha256": _l("sidik pindaian yang diperiksa (SHA-256)"),
    "scheduled": _l("dijadwalkan"),
    "sha256": _l("sidik (SHA-256)"),
    "size": _l("ukuran (bita)"),
    "source": _l("sumber"),
    "status": _l("status"),
    "to": _l("ke status"),
    "type": _l("tipe"),
    "unchanged": _l("tidak berubah"),
    "username": _l("nama pengguna"),
    "walk_in": _l("datang tanpa undangan"),
    "yes": _l("setuju"),
}

# Values that are codes: shown by their label when the detail's key is one of these.
_VALUE_LABELS: dict[str, dict[str, Any]] = {
    "choice": {
        "setuju": _l("setuju"),
        "tidak_setuju": _l("tidak setuju"),
        "abstain": _l("abstain"),
    },
    "status": {"entered": _l("dientri"), "rejected": _l("ditolak")},
}


def _humanise(key: str) -> str:
    return key.replace("_", " ").strip()


def action_label(action: str | None) -> str:
    """`meeting.check_in` → "Kehadiran dicatat"; an unknown key → "Musyawarah: check in"."""
    if not action:
        return "—"
    if action in ACTIONS:
        return str(ACTIONS[action])
    group, _dot, verb = action.partition(".")
    if group in GROUPS and verb:
        return f"{GROUPS[group]}: {_humanise(verb)}"
    return _humanise(action.replace(".", " "))


def detail_label(key: str) -> str:
    return str(DETAILS[key]) if key in DETAILS else _humanise(str(key))


def detail_value(key: str, value: Any) -> str:
    """A detail's value as words: true/false → ya/tidak, a state → its label, a list joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    if key in ("from", "to") and isinstance(value, str):
        from portal.blueprints.meetings.states import LABELS

        return str(LABELS.get(value, value))
    if key == "role" and isinstance(value, str):
        from portal.blueprints.users.forms import ROLE_LABELS

        return str(ROLE_LABELS.get(value, value))
    if isinstance(value, str):
        labels = _VALUE_LABELS.get(key, {})
        return str(labels.get(value, value))
    if isinstance(value, list | tuple):
        return ", ".join(detail_value(key, item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{detail_label(k)}: {_pair(k, v)}" for k, v in value.items()) or "—"
    return str(value)


def _pair(key: str, value: Any) -> str:
    """A change written as [before, after] reads "before → after"."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{detail_value(key, value[0])} → {detail_value(key, value[1])}"
    return detail_value(key, value)
