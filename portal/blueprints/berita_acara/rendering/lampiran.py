"""Lampiran II–VI: the list attachments' columns and rows, built from the canonical document.

These are the bulk of a large berita acara (thousands of rows; the berita acara itself and
Lampiran I are `context`'s). Each `Cell` carries both the escaped HTML and the plain lines the
planner measures (`page_plan`). The decision labels are translated once per document
(`decision_words`): gettext per row is slow. `context` uses them too, for the minutes'
corrections.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.blueprints.berita_acara.rendering.page_plan import Cell, Column, Lampiran, Row
from portal.blueprints.meetings.models import UNSUR_LABELS
from portal.blueprints.register.models import MEETING_REASON_LABELS


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    return (
        {k: str(v) for k, v in UNSUR_LABELS.items()},
        {k: str(v) for k, v in MEETING_REASON_LABELS.items()},
    )


def decision_words() -> dict[str, str]:
    """The decision labels, translated once per document (gettext per row is slow)."""
    return {
        "mufakat": _("Mufakat"),
        "named": _("Suara terbuka %(votes)s"),
        "batch": _("Sekaligus %(votes)s"),
        "batch_plain": _("Sekaligus"),
        "tally": _("Suara %(votes)s"),
        "objection": _("ada keberatan"),
    }


def decision_text(decision: dict[str, Any] | None, words: dict[str, str] | None = None) -> str:
    """The decision in a list cell: "Mufakat", or the votes yes/no/abstain."""
    if not decision:
        return "—"
    words = words or decision_words()
    method = decision.get("method")
    yes, no, abstain = (
        decision.get("yes") or 0,
        decision.get("no") or 0,
        decision.get("abstain") or 0,
    )
    if method == "mufakat":
        text = words["mufakat"]
    elif method == "batch" and not (yes or no or abstain):
        text = words["batch_plain"]
    else:
        text = words.get(method or "", words["tally"]) % {"votes": f"{yes}/{no}/{abstain}"}
    return f"{text} · {words['objection']}" if decision.get("objection") else text


def _rt_rw(family: dict[str, Any]) -> str:
    rt, rw = family.get("rt"), family.get("rw")
    if not rt and not rw:
        return "—"
    return f"{rt or '—'}/{rw or '—'}"


def _dash(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


_BR = Markup("<br/>")


def _cell(lines: Iterable[str | None] | str | None, cls: str | None = None, span: int = 1) -> Cell:
    if lines is None or isinstance(lines, str):
        text = lines or ""
        return Cell(html=escape(text), lines=[text], cls=cls, span=span)
    texts = [line or "" for line in lines]
    return Cell(html=_BR.join(escape(t) for t in texts), lines=texts, cls=cls, span=span)


def build_lampiran(doc: dict[str, Any]) -> list[Lampiran]:
    """Lampiran II–V (and VI, the proposals not accepted, when there are any)."""
    _unsur, reasons = _labels()
    families = doc.get("families") or {}
    legend_votes = _(
        "Keputusan: mufakat, atau jumlah suara setuju/tidak setuju/abstain "
        "(sekaligus: diputuskan bersama usulan lain)."
    )
    no, kk, nik = _("No."), _("No. KK"), _("NIK kepala keluarga")
    name, rtrw, decision = _("Nama kepala keluarga"), _("RT/RW"), _("Keputusan")
    register = current_app.config.get("REGISTER_NAME", "DTSEN")
    words = decision_words()

    tetap = Lampiran(
        "tetap",
        "II",
        _("DAFTAR KELUARGA YANG TETAP DALAM %(register)s", register=register),
        None,
        [
            Column(no, 26),
            Column(kk, 76),
            Column(nik, 76),
            Column(name, None),
            Column(rtrw, 48),
        ],
        [
            Row(
                [
                    _cell(str(i), "r"),
                    _cell(_dash(f.get("kk"))),
                    _cell(_dash(f.get("head_nik"))),
                    _cell(_dash(f.get("head_name"))),
                    _cell(_rt_rw(f), "c"),
                ]
            )
            for i, f in enumerate(families.get("tetap") or [], 1)
        ],
    )

    def reason(f: dict[str, Any]) -> list[str]:
        label = reasons.get(f.get("reason") or "", _dash(f.get("reason")))
        text = (f.get("reason_text") or "").strip()
        return [f"{label}: {text}"] if text else [label]

    keluar = Lampiran(
        "keluar",
        "III",
        _("DAFTAR KELUARGA YANG DIKELUARKAN DARI %(register)s", register=register),
        legend_votes,
        [
            Column(no, 26),
            Column(kk, 76),
            Column(nik, 76),
            Column(name, None),
            Column(rtrw, 40),
            Column(_("Alasan"), 80),
            Column(decision, 64),
        ],
        [
            Row(
                [
                    _cell(str(i), "r"),
                    _cell(_dash(f.get("kk"))),
                    _cell(_dash(f.get("head_nik"))),
                    _cell(_dash(f.get("head_name"))),
                    _cell(_rt_rw(f), "c"),
                    _cell(reason(f)),
                    _cell(decision_text(f.get("decision"), words)),
                ]
            )
            for i, f in enumerate(families.get("keluar") or [], 1)
        ],
    )

    baru_rows: list[Row] = []
    for i, f in enumerate(families.get("baru") or [], 1):
        members = f.get("members") or []
        address = ", ".join(
            part
            for part in (
                (f.get("alamat") or "").strip(),
                _("RT/RW %(rtrw)s", rtrw=_rt_rw(f)) if (f.get("rt") or f.get("rw")) else "",
            )
            if part
        )
        baru_rows.append(
            Row(
                [
                    _cell(str(i), "r"),
                    _cell(_dash(f.get("kk"))),
                    _cell(_dash(f.get("head_name"))),
                    _cell(_("%(n)s orang", n=len(members))),
                    _cell(address or "—"),
                    _cell(decision_text(f.get("decision"), words)),
                ],
                cls="fam",
            )
        )
        for m in members:
            baru_rows.append(
                Row(
                    [
                        _cell(""),
                        _cell(_dash(m.get("nik"))),
                        _cell(_dash(m.get("name"))),
                        _cell(_dash(m.get("relation"))),
                        _cell("", span=2),
                    ],
                    follows=True,
                )
            )
    baru = Lampiran(
        "baru",
        "IV",
        _("DAFTAR USULAN KELUARGA BARU YANG DISETUJUI"),
        _("Baris tebal: keluarga (No. KK, kepala keluarga); di bawahnya anggotanya (NIK).")
        + " "
        + legend_votes,
        [
            Column(no, 26),
            Column(_("No. KK / NIK"), 76),
            Column(_("Nama"), None),
            Column(_("Hubungan keluarga"), 72),
            Column(_("Alamat"), 110),
            Column(decision, 64),
        ],
        baru_rows,
    )

    field_labels = {
        "alamat": _("Alamat"),
        "dusun": _("Dusun"),
        "rt": _("RT"),
        "rw": _("RW"),
    }

    def changes(f: dict[str, Any]) -> list[str]:
        lines = [
            f"{field_labels.get(c.get('field'), _dash(c.get('field')))}: "
            f"{_dash(c.get('before'))} → {_dash(c.get('after'))}"
            for c in f.get("changes") or []
        ]
        for m in f.get("members_added") or []:
            relation = f" ({m['relation']})" if m.get("relation") else ""
            lines.append(
                _(
                    "Anggota ditambah: %(nik)s %(name)s",
                    nik=_dash(m.get("nik")),
                    name=_dash(m.get("name")),
                )
                + relation
            )
        for m in f.get("members_removed") or []:
            lines.append(
                _(
                    "Anggota dikeluarkan: %(nik)s %(name)s",
                    nik=_dash(m.get("nik")),
                    name=_dash(m.get("name")),
                )
            )
        return lines or ["—"]

    perbaikan = Lampiran(
        "perbaikan",
        "V",
        _("DAFTAR PERBAIKAN DATA KELUARGA YANG DISETUJUI"),
        _("Perubahan ditulis: data lama → data baru.") + " " + legend_votes,
        [
            Column(no, 26),
            Column(kk, 76),
            Column(_("Kepala keluarga (NIK, nama)"), 130),
            Column(_("Perubahan"), None),
            Column(decision, 64),
        ],
        [
            Row(
                [
                    _cell(str(i), "r"),
                    _cell(_dash(f.get("kk"))),
                    _cell([_dash(f.get("head_nik")), _dash(f.get("head_name"))]),
                    _cell(changes(f)),
                    _cell(decision_text(f.get("decision"), words)),
                ]
            )
            for i, f in enumerate(families.get("perbaikan") or [], 1)
        ],
    )
    out = [tetap, keluar, baru, perbaikan]

    rejected = doc.get("rejected") or []
    if rejected:
        kinds = {
            "keluar": _("Keluar"),
            "baru": _("Usulan baru"),
            "perbaikan": _("Perbaikan data"),
        }
        out.append(
            Lampiran(
                "ditolak",
                "VI",
                _("DAFTAR USULAN YANG TIDAK DISETUJUI"),
                _("Keluarga yang diusulkan tetap seperti semula.") + " " + legend_votes,
                [
                    Column(no, 26),
                    Column(_("Usulan"), 80),
                    Column(kk, 76),
                    Column(name, None),
                    Column(decision, 64),
                ],
                [
                    Row(
                        [
                            _cell(str(i), "r"),
                            _cell(kinds.get(r.get("kind") or "", _dash(r.get("kind")))),
                            _cell(_dash(r.get("kk"))),
                            _cell(_dash(r.get("head_name"))),
                            _cell(decision_text(r.get("decision"), words)),
                        ]
                    )
                    for i, r in enumerate(rejected, 1)
                ],
            )
        )
    return out
