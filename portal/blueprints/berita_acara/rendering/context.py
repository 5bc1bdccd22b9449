"""The berita acara's template context: everything the templates need, computed once in the
parent (`build_context`) and shared by every part and both overlays.

The meeting and its village, the time phrase, attendance (format 1 documents are counted from
the participants), the signature blocks (the camat's box is the slot `signing.CAMAT_SLOT`
stamps), the summary table, the minutes' corrections. Dates, clock times and region headings
in words come from `berita_acara.wording`; the list attachments' rows are `lampiran`'s.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _

from portal.blueprints.berita_acara import wording
from portal.blueprints.berita_acara.canonical import short_hash
from portal.blueprints.berita_acara.rendering.lampiran import (
    _dash,
    _labels,
    decision_text,
    decision_words,
)
from portal.blueprints.berita_acara.signing import CAMAT_SLOT


def _num(value: int | None) -> str:
    return format_decimal(value) if value is not None else "—"


def corrections_text(document: dict[str, Any]) -> list[str]:
    """The minutes' lines for decisions reopened before the lock (format 2 documents)."""
    words = decision_words()
    lines = []
    for row in document.get("corrections") or []:
        earlier = row.get("earlier") or {}
        outcome = _("diterima") if earlier.get("accepted") else _("ditolak")
        lines.append(
            _(
                "%(head)s (No. KK %(kk)s): keputusan semula %(outcome)s (%(how)s) dibuka kembali "
                "pada %(at)s dengan alasan: %(reason)s.",
                head=row.get("head_name") or "—",
                kk=row.get("kk") or "—",
                outcome=outcome,
                how=decision_text(earlier, words),
                at=(row.get("at") or "").replace(":", "."),
                reason=row.get("reason") or "—",
            )
        )
    return lines


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _first_present(participants: list[dict[str, Any]], unsur: set[str], count: int) -> list[dict]:
    found = [p for p in participants if p.get("present") and p.get("unsur") in unsur]
    return found[:count]


def _time_phrase(m: dict[str, Any], day: date | None, tz: str) -> str | None:
    """ "pukul 09.12 sampai dengan pukul 11.40 WIB" from the real opening and closing times
    (format 2); "pukul 09.00 WIB sampai dengan selesai" from the scheduled start (format 1)."""
    start, end = wording.clock(m.get("opened_at")), wording.clock(m.get("closed_at"))
    if start and end:
        closed_on = _parse_date(m.get("closed_date"))
        if closed_on and day and closed_on != day:
            return _(
                "pukul %(start)s %(tz)s sampai dengan tanggal %(date)s pukul %(end)s %(tz)s",
                start=start,
                end=end,
                tz=tz,
                date=wording.long_date(closed_on),
            )
        return _("pukul %(start)s sampai dengan pukul %(end)s %(tz)s", start=start, end=end, tz=tz)
    if start:
        return _("pukul %(time)s %(tz)s", time=start, tz=tz)
    if m.get("start_time"):
        return _(
            "pukul %(time)s %(tz)s sampai dengan selesai",
            time=wording.clock(m.get("start_time")),
            tz=tz,
        )
    return None


def _attendance(att: dict[str, Any], participants: list[dict[str, Any]]) -> dict[str, Any]:
    """The attendance with invited voters and walk-ins apart (format 1 documents lack the
    counts format 2 stores: they are counted from the participants, as the quorum is)."""
    invited_present = att.get("present_invited_voters")
    if invited_present is None:
        invited_present = sum(
            1 for p in participants if p.get("votes") and p.get("present") and not p.get("walk_in")
        )
    walk_ins = att.get("present_walk_ins")
    if walk_ins is None:
        walk_ins = sum(1 for p in participants if p.get("walk_in") and p.get("present"))
    return {**att, "present_invited_voters": invited_present, "present_walk_ins": walk_ins}


def build_context(doc: dict[str, Any], *, sha256: str, verify_url: str, draft: bool) -> dict:
    """Everything the templates need, computed once in the parent."""
    unsur_labels, reason_labels = _labels()
    m = doc.get("meeting") or {}
    att = doc.get("attendance") or {}
    counts = doc.get("counts") or {}
    desa = m.get("kind") != "muskel"
    village = m.get("village_name") or m.get("village_code") or ""
    village_word = _("Desa") if desa else _("Kelurahan")
    meeting_title = (
        _("Musyawarah Desa %(name)s", name=village)
        if desa
        else _("Musyawarah Kelurahan %(name)s", name=village)
    )
    scheduled = _parse_date(m.get("scheduled_date") or m.get("date"))
    # Format 2 states when the meeting was really opened; format 1 only had the scheduled date.
    held_on = _parse_date(m.get("held_date"))
    day = held_on or scheduled
    kab_code = m.get("kabupaten_code") or (m.get("village_code") or "")[:4]
    participants = att.get("participants") or []

    def person(p: dict[str, Any] | None, title: str, subtitle: str | None = None) -> dict:
        return {"title": title, "subtitle": subtitle, "name": (p or {}).get("name")}

    bpd = [{"name": m["bpd"]}] if m.get("bpd") else _first_present(participants, {"bpd_lpm"}, 1)
    bpd_title = (bpd[0].get("position") if bpd else None) or (
        _("Ketua BPD %(name)s", name=village) if desa else _("Ketua LPM %(name)s", name=village)
    )
    reps = _first_present(
        participants, {"tokoh_masyarakat", "tokoh_agama", "perwakilan_keluarga_miskin"}, 2
    )
    reps_blocks = [
        person(
            reps[i] if i < len(reps) else None,
            _("Wakil masyarakat"),
            unsur_labels.get(reps[i]["unsur"], "") if i < len(reps) else None,
        )
        for i in range(2)
    ]
    head_title = (
        _("Kepala Desa %(name)s", name=village) if desa else _("Lurah %(name)s", name=village)
    )
    signatures = [
        [
            person(bpd[0] if bpd else None, bpd_title),
            person({"name": m.get("chair")}, head_title, _("selaku pimpinan musyawarah")),
        ],
        reps_blocks,
    ]
    notulen = person({"name": m.get("notulen")}, _("Notulen"))
    camat = None
    if m.get("camat_block"):
        camat = {
            "title": _("Mengetahui,"),
            "subtitle": _("Camat %(name)s", name=m.get("kecamatan_name") or ""),
            "name": None,
            # The camat's confirmation stamps this box (`signing.CAMAT_SLOT`).
            "slot": f"{verify_url}#{CAMAT_SLOT}",
        }

    by_reason = counts.get("keluar_by_reason") or {}
    reason_rows = [
        (reason_labels.get(key, key), by_reason[key])
        for key in list(reason_labels) + sorted(set(by_reason) - set(reason_labels))
        if by_reason.get(key)
    ]
    rejected = counts.get("rejected") or 0
    summary = [
        ("1", _("Keluarga tetap dalam daftar"), "II", counts.get("tetap", 0), None),
        ("2", _("Keluarga dikeluarkan dari daftar"), "III", counts.get("keluar", 0), None),
        *[
            ("", f"{chr(97 + i)}. {label}", "", n, "sub")
            for i, (label, n) in enumerate(reason_rows)
        ],
        ("3", _("Usulan keluarga baru yang disetujui"), "IV", counts.get("baru", 0), None),
        ("4", _("Perbaikan data keluarga yang disetujui"), "V", counts.get("perbaikan", 0), None),
        (
            "5",
            _("Usulan yang tidak disetujui (keluarga tetap seperti semula)"),
            "VI" if rejected else "—",
            rejected,
            None,
        ),
    ]
    present_rows = []
    for i, p in enumerate(participants, 1):
        notes = []
        if not p.get("votes"):
            notes.append(_("tanpa hak suara"))
        if p.get("walk_in"):
            notes.append(_("hadir tanpa undangan"))
        role = unsur_labels.get(p.get("unsur") or "", _dash(p.get("unsur")))
        if p.get("position"):
            role = f"{role} / {p['position']}"
        if notes:
            role = f"{role} ({'; '.join(notes)})"
        present_rows.append(
            {
                "no": i,
                "name": _dash(p.get("name")),
                "role": role,
                "present": bool(p.get("present")),
            }
        )
    when = wording.date_in_words(day) if day else None
    tz = m.get("time_zone") or wording.time_zone(m.get("village_code") or "")
    return {
        "draft": draft,
        "number": m.get("number") or "",
        "desa": desa,
        "village": village,
        "village_word": village_word,
        "meeting_title": meeting_title,
        "meeting_title_upper": meeting_title.upper(),
        "kop": [
            _(
                "PEMERINTAH %(kabupaten)s",
                kabupaten=wording.kabupaten_heading(m.get("kabupaten_name"), kab_code),
            ),
            _("KECAMATAN %(name)s", name=(m.get("kecamatan_name") or "").upper()),
        ],
        "kop_village": f"{village_word} {village}".upper(),
        "when": when,
        "date_long": wording.long_date(day) if day else _dash(m.get("date")),
        "time": wording.clock(m.get("start_time")),
        "time_phrase": _time_phrase(m, day, tz),
        "other_day": (
            _(
                "Musyawarah ini dijadwalkan pada tanggal %(scheduled)s dan dilaksanakan pada "
                "tanggal %(held)s.",
                scheduled=wording.long_date(scheduled),
                held=wording.long_date(held_on),
            )
            if scheduled and held_on and scheduled != held_on
            else None
        ),
        "tz": tz,
        "place": _dash(m.get("place")),
        "kecamatan": m.get("kecamatan_name") or "",
        "kabupaten": wording.kabupaten_phrase(m.get("kabupaten_name"), kab_code),
        "province": m.get("province_name") or "",
        "register": current_app.config.get("REGISTER_NAME", "DTSEN"),
        "period": wording.period_label(m.get("period")),
        "agenda": m.get("agenda"),
        "chair": _dash(m.get("chair")),
        "notulen": _dash(m.get("notulen")),
        "rules": m.get("rules") or {},
        "att": _attendance(att, participants),
        "participants_total": len(participants),
        "summary": [
            {"no": no_, "label": label, "lampiran": lamp, "count": _num(n), "cls": cls}
            for no_, label, lamp, n, cls in summary
        ],
        "families_total": _num(counts.get("families", 0)),
        "objections": sum(
            1
            for rows in (*(doc.get("families") or {}).values(), doc.get("rejected") or [])
            for row in rows
            if (row.get("decision") or {}).get("objection")
        ),
        "corrections": corrections_text(doc),
        "sha256": sha256,
        "short_hash": short_hash(sha256),
        "verify_url": verify_url,
        "signatures": signatures,
        "notulen_block": notulen,
        "camat": camat,
        "participants": present_rows,
        "num": _num,
    }
