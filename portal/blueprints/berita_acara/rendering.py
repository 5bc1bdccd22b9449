"""The berita acara PDF: WeasyPrint from Jinja templates, rendered in parallel page groups.

    result = render_ba_pdf(canonical, sha256=digest, verify_url=url)   # in an app context
    result.pdf, result.pages, result.seconds, result.parts
    data, info = read_embedded(pdf)   # keputusan.json and the Portal* docinfo keys

How it is fast (a meeting of 2,000 families is ~60 pages; WeasyPrint's cost is ~0.3 ms per table
cell plus ~0.6 ms per piece of text, almost all of it Python layout code):

1. Parts. The berita acara itself and Lampiran I (daftar hadir) are the first two parts; they
   start rendering at once. Meanwhile the parent plans the list attachments (II–VI): the height
   of every row is known from the font's advance widths (fontTools, on the file fontconfig picks
   for the family; an upper bound of what Pango does), so the rows are cut into pages before
   WeasyPrint sees them, one small fixed-layout table per page, a new family kept with its
   members. Runs of pages of about equal cost become the other parts (`PARTS_PER_WORKER` per
   worker).
2. Workers. Each part renders in a fresh child forked from the parent (`multiprocessing`'s fork
   context), at most `workers` at a time, the costliest first. A child only runs WeasyPrint on
   an HTML string the parent made, with the garbage collector off, writes the PDF to a temporary
   file and leaves with `os._exit`. The HTML is parsed by the C XML parser (the templates are
   XHTML) instead of WeasyPrint's pure-Python HTML5 parser, which falls back for text XML
   refuses. Small documents (< `IN_PROCESS_ROWS` rows) render in-process, nothing forked.
3. Page numbers. The parts carry no page furniture. The parts are merged with pikepdf and two
   overlays are laid over every page: one page that is the same everywhere (footer rule, BA
   number, short hash, QR code to `verify_url`, the draft watermark), shared as one form
   XObject, and a cheap document of one page per page with only the running head and "Halaman
   X dari Y". The parent renders both while the children work (the page total comes from the
   first two parts and the plan); if WeasyPrint ever makes a different number of pages than
   planned, the numbers are rendered again from the real count, so they are always exact.
4. The canonical bytes are attached as `keputusan.json` (application/json) and the docinfo
   carries /Title, /Subject, /PortalSha256 and /PortalVerification.

WeasyPrint fetches nothing: `base_url` is None, the CSS (pdf.css) is inlined and the url fetcher
refuses every URL but `data:`, failing the render if anything tries.

Integration: call inside an app context (templates, gettext, REGISTER_NAME) and outside a web
request. One render at a time per process (a module lock), so two threads of one worker do not
fork while the other is inside WeasyPrint. Children inherit the parent's open sockets and
database connections; they never use them and end with `os._exit`, so nothing is closed or
flushed on the parent's behalf.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pikepdf
import segno
from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from portal import inflation
from portal.blueprints.berita_acara import wording
from portal.blueprints.berita_acara.canonical import short_hash
from portal.blueprints.berita_acara.signing import CAMAT_SLOT

log = logging.getLogger(__name__)

CSS_PATH = Path(__file__).with_name("pdf.css")
ATTACHMENT_NAME = "keputusan.json"
DOCINFO_KEYS = ("Title", "Subject", "PortalSha256", "PortalVerification")

#: Below this many list rows in all the document renders in-process (no fork).
IN_PROCESS_ROWS = 300
#: A forked part that has not finished after this many seconds is killed and the render fails.
PART_TIMEOUT = 600.0
#: Parts per worker: more, smaller parts balance better on a busy machine (each costs ~20 ms).
PARTS_PER_WORKER = 4

# --- page geometry (must agree with pdf.css) --------------------------------------------------
PT_PER_MM = 72 / 25.4
PAGE_WIDTH = 210 * PT_PER_MM
PAGE_HEIGHT = 297 * PT_PER_MM
PAGE_TOP, PAGE_RIGHT, PAGE_BOTTOM, PAGE_LEFT = (m * PT_PER_MM for m in (18, 16, 25, 20))
CONTENT_WIDTH = PAGE_WIDTH - PAGE_LEFT - PAGE_RIGHT  # 493.2 pt
CONTENT_HEIGHT = PAGE_HEIGHT - PAGE_TOP - PAGE_BOTTOM  # 720.0 pt
LIST_FONT, LIST_LINE = 8.5, 10.0
HEAD_FONT, HEAD_LINE = 8.0, 9.5
LIST_PAD_X, LIST_PAD_Y, BORDER = 3.0, 1.5, 0.5
#: Room kept free on every planned page (rounding of borders, the table's outer border).
PAGE_SLACK = 4.0
# The attachment heading (.lamp-head): two 9 pt lines, the 11 pt title, the 8 pt legend.
TITLE_SMALL_LINE, TITLE_LINE, LEGEND_LINE = 11.0, 14.0, 10.0
TITLE_FONT, LEGEND_FONT = 11.0, 8.0
TITLE_GAPS = 2.0 + 2.0 + 6.0  # h2 margin-top, legend margin-top, heading margin-bottom
FAMILY = "Liberation Serif"


class RenderError(RuntimeError):
    """The PDF could not be rendered (a part failed or timed out)."""


class FetchRefused(ValueError):
    """The berita acara fetches nothing but data: URLs."""


class NoFetch(URLFetcher):
    """WeasyPrint's url fetcher for the berita acara: `data:` only; anything else fails the
    render."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, fail_on_errors=True, timeout=1)

    def fetch(self, url: str, headers: dict | None = None):
        if not url.lower().startswith("data:"):
            raise FetchRefused(f"the berita acara fetches nothing: {url[:80]!r} refused")
        return super().fetch(url, headers)


def no_fetch(url: str):
    """A direct call of the berita acara's fetcher (tests): raises for anything but data:."""
    return NoFetch()(url)


@dataclass
class RenderResult:
    pdf: bytes
    pages: int
    seconds: float
    parts: int
    #: Seconds per phase (plan, html, parts, merge, overlay, finish) and the page plan's check.
    timings: dict[str, float] = field(default_factory=dict)
    #: Pages the planner expected for the attachments vs. what WeasyPrint made (equal normally).
    planned_pages: int = 0
    list_pages: int = 0


# --- text measurement (for the page planner) ------------------------------------------------


class _Metrics:
    """Advance widths of one font file; a conservative fallback when there is none."""

    def __init__(self, path: str | None) -> None:
        self.widths: dict[int, float] = {}
        self.default = 0.62  # em, wider than the average Latin letter
        self.upem = 1.0
        self.ok = False
        if path:
            try:
                from fontTools.ttLib import TTFont

                font = TTFont(path, lazy=True)
                cmap = font.getBestCmap() or {}
                hmtx = font["hmtx"]
                self.upem = float(font["head"].unitsPerEm)
                self.widths = {code: hmtx[glyph][0] / self.upem for code, glyph in cmap.items()}
                self.default = max(self.widths.get(ord("M"), 0.9), 0.9)
                self.ok = True
            except Exception:  # pragma: no cover - a broken font file: stay conservative
                log.warning("berita acara: cannot read font metrics from %s", path)

        # Basic Multilingual Plane as a list indexed by code point: summing is 3× faster.
        self.table = [self.widths.get(code, self.default) for code in range(0x10000)]

    def width(self, text: str, size: float) -> float:
        try:
            return sum(map(self.table.__getitem__, map(ord, text))) * size
        except IndexError:  # a character beyond the BMP
            get, default = self.widths.get, self.default
            return sum(get(ord(char), default) for char in text) * size


@cache
def _font_file(family: str, bold: bool) -> str | None:
    pattern = f"{family}:bold" if bold else family
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return None
    try:
        out = subprocess.run(
            [fc_match, "-f", "%{file}\n%{family}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _sep, found = out.partition("\n")
    if family.lower() not in found.lower():
        log.warning("berita acara: font %r not installed, fontconfig gives %r", family, found)
    return path or None


@cache
def metrics(bold: bool = False) -> _Metrics:
    return _Metrics(_font_file(FAMILY, bold))


def wrapped_lines(text: str, width: float, size: float, bold: bool = False) -> int:
    """Lines `text` takes in a box `width` pt wide: greedy at spaces, a word too long for a line
    broken anywhere (`overflow-wrap: anywhere`). An upper bound of what Pango does (it has more
    break opportunities and kerning), so a planned page never overflows."""
    font = metrics(bold)
    if "\n" not in text and font.width(text, size) <= width:
        return 1  # the common case: one line
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        space = font.width(" ", size)
        for word in paragraph.split():
            w = font.width(word, size)
            if used and used + space + w <= width:
                used += space + w
                continue
            if used:
                lines += 1
            if w <= width:
                used = w
                continue
            # Too long for any line: broken between characters.
            used = 0.0
            for char in word:
                cw = font.width(char, size)
                if used + cw > width and used:
                    lines += 1
                    used = 0.0
                used += cw
    return lines


# --- the list attachments: columns, rows, pages ----------------------------------------------


@dataclass
class Column:
    label: str
    width: float | None  # pt; None: the rest of the table's width


@dataclass
class Cell:
    html: Markup
    lines: list[str]  # the text, line by line (for the planner)
    cls: str | None = None
    span: int = 1


@dataclass
class Row:
    cells: list[Cell]
    cls: str | None = None
    height: float = 0.0
    #: A member row of a new family: kept on the page of its family's row when it fits.
    follows: bool = False


@dataclass
class Lampiran:
    key: str
    numeral: str
    title: str
    legend: str | None
    columns: list[Column]
    rows: list[Row]

    def rules(self) -> list[float]:
        """x of the table's vertical lines (pt from its left edge): both edges, every column
        boundary."""
        fixed = sum(c.width or 0 for c in self.columns)
        edges, x = [0.0], 0.0
        for column in self.columns:
            x += column.width if column.width else CONTENT_WIDTH - fixed
            edges.append(x)
        return edges

    def content_widths(self) -> list[float]:
        fixed = sum(c.width or 0 for c in self.columns)
        rest = CONTENT_WIDTH - fixed
        return [(c.width if c.width else rest) - 2 * LIST_PAD_X - BORDER for c in self.columns]


@dataclass
class Page:
    lampiran: Lampiran
    first: bool
    rows: list[Row]

    @property
    def cost(self) -> int:
        return sum(len(r.cells) for r in self.rows) + 20


_BR = Markup("<br/>")


def _cell(lines: Iterable[str | None] | str | None, cls: str | None = None, span: int = 1) -> Cell:
    if lines is None or isinstance(lines, str):
        text = lines or ""
        return Cell(html=escape(text), lines=[text], cls=cls, span=span)
    texts = [line or "" for line in lines]
    return Cell(html=_BR.join(escape(t) for t in texts), lines=texts, cls=cls, span=span)


def _row_height(row: Row, widths: Sequence[float]) -> float:
    bold = row.cls == "fam"
    lines, col = 1, 0
    for cell in row.cells:
        width = sum(widths[col : col + cell.span]) + (cell.span - 1) * (2 * LIST_PAD_X + BORDER)
        col += cell.span
        n = sum(wrapped_lines(t, width, LIST_FONT, bold) for t in cell.lines) if cell.lines else 1
        lines = max(lines, n)
    return lines * LIST_LINE + 2 * LIST_PAD_Y + BORDER


def _head_height(lampiran: Lampiran) -> float:
    widths = lampiran.content_widths()
    lines = max(
        wrapped_lines(c.label, w, HEAD_FONT, bold=True)
        for c, w in zip(lampiran.columns, widths, strict=True)
    )
    return lines * HEAD_LINE + 2 * LIST_PAD_Y + BORDER


def _title_height(lampiran: Lampiran, ba: dict[str, Any]) -> float:
    heading = _("BERITA ACARA %(meeting)s NOMOR %(number)s") % {
        "meeting": ba["meeting_title_upper"],
        "number": ba["number"],
    }
    height = TITLE_SMALL_LINE  # LAMPIRAN n
    height += wrapped_lines(heading, CONTENT_WIDTH, 9.0) * TITLE_SMALL_LINE
    height += wrapped_lines(lampiran.title, CONTENT_WIDTH, TITLE_FONT, bold=True) * TITLE_LINE
    if lampiran.legend:
        height += wrapped_lines(lampiran.legend, CONTENT_WIDTH, LEGEND_FONT) * LEGEND_LINE
    return height + TITLE_GAPS


def paginate(lampiran: Lampiran, ba: dict[str, Any]) -> list[Page]:
    """Cut the attachment's rows into pages of one table each (the first page under the
    attachment's heading). A row never splits; a new family moves to the next page with its
    members rather than leave them there alone (unless the family alone fills a page)."""
    widths = lampiran.content_widths()
    head = _head_height(lampiran)
    pages: list[Page] = []
    first = True
    room = CONTENT_HEIGHT - PAGE_SLACK - head - _title_height(lampiran, ba)
    current: list[Row] = []
    used = 0.0
    group = 0  # where the current family starts in `current`
    for row in lampiran.rows:
        row.height = _row_height(row, widths)
        if not row.follows:
            group = len(current)
        if current and used + row.height > room:
            carry = current[group:] if row.follows and group > 0 else []
            pages.append(Page(lampiran, first, current[: len(current) - len(carry)]))
            first, current = False, carry
            used = sum(r.height for r in carry)
            group = 0
            room = CONTENT_HEIGHT - PAGE_SLACK - head
        current.append(row)
        used += row.height
    pages.append(Page(lampiran, first, current))
    return pages


# --- the document's words --------------------------------------------------------------------


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    from portal.blueprints.meetings.forms import REASON_LABELS, UNSUR_LABELS

    return (
        {k: str(v) for k, v in UNSUR_LABELS.items()},
        {k: str(v) for k, v in REASON_LABELS.items()},
    )


def _num(value: int | None) -> str:
    return format_decimal(value) if value is not None else "—"


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


def _rt_rw(family: dict[str, Any]) -> str:
    rt, rw = family.get("rt"), family.get("rw")
    if not rt and not rw:
        return "—"
    return f"{rt or '—'}/{rw or '—'}"


def _dash(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


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


def render_template(name: str, **context: Any) -> str:
    """A template of the app's Jinja environment (gettext included) without Flask's context
    processors: they expect a request (the current user), and the job has none."""
    return current_app.jinja_env.get_template(name).render(**context)


# --- the parts ---------------------------------------------------------------------------------

_SECTION = re.compile(r"/\* @section (\w+) \*/")


@cache
def _css_sections() -> dict[str, str]:
    """pdf.css cut at its `/* @section name */` markers: each document inlines only the rules
    it uses (less cascade work per element)."""
    text = CSS_PATH.read_text(encoding="utf-8")
    pieces = _SECTION.split(text)
    sections = {"prelude": pieces[0]}
    for name, body in zip(pieces[1::2], pieces[2::2], strict=True):
        sections[name] = body
    return sections


def css(*names: str) -> Markup:
    sections = _css_sections()
    return Markup("".join(sections[name] for name in names))


@dataclass
class Part:
    kind: str  # "front", "hadir" or "list"
    cost: int
    template: str
    context: dict[str, Any]
    pages: list[Page] = field(default_factory=list)

    def html(self) -> str:
        return render_template(self.template, **self.context)


def _group_pages(pages: list[Page], target_cost: int) -> list[list[Page]]:
    groups: list[list[Page]] = []
    current: list[Page] = []
    cost = 0
    for page in pages:
        if current and cost + page.cost > target_cost:
            groups.append(current)
            current, cost = [], 0
        current.append(page)
        cost += page.cost
    if current:
        groups.append(current)
    return groups


FRONT_COST = 700  # the berita acara's own 2–3 pages, in planner units (cells)


def front_parts(ba: dict[str, Any]) -> list[Part]:
    """The berita acara and Lampiran I: they need no planning, so they render first."""
    base = {"ba": ba, "title": f"{_('Berita Acara')} {ba['number']}"}
    hadir_cost = 60 + 8 * len(ba["participants"])
    return [
        Part(
            "front", FRONT_COST, "berita_acara/pdf/front.html", {**base, "css": css("page", "ba")}
        ),
        Part(
            "hadir", hadir_cost, "berita_acara/pdf/hadir.html", {**base, "css": css("page", "list")}
        ),
    ]


def list_parts(
    doc: dict[str, Any], ba: dict[str, Any], workers: int, other_cost: int = 0
) -> tuple[list[Part], list[Lampiran]]:
    """Lampiran II–VI cut into planned pages, the pages into runs of about equal cost (several
    per worker, so one slow core does not hold the rest up)."""
    lampiran = build_lampiran(doc)
    pages = [page for lamp in lampiran for page in paginate(lamp, ba)]
    total = other_cost + sum(p.cost for p in pages)
    target = max(1200, total // max(1, workers * PARTS_PER_WORKER))
    context = {"ba": ba, "title": f"{_('Berita Acara')} {ba['number']}", "css": css("page", "list")}
    parts = [
        Part(
            "list",
            sum(p.cost for p in group),
            "berita_acara/pdf/lampiran.html",
            {**context, "pages": group},
            group,
        )
        for group in _group_pages(pages, target)
    ]
    return parts, lampiran


def build_parts(
    doc: dict[str, Any], ba: dict[str, Any], workers: int
) -> tuple[list[Part], list[Lampiran]]:
    """Every part in document order (the berita acara, Lampiran I, the list runs)."""
    front = front_parts(ba)
    rest, lampiran = list_parts(doc, ba, workers, sum(p.cost for p in front))
    return front + rest, lampiran


# --- WeasyPrint ---------------------------------------------------------------------------------

_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.IGNORECASE)


class _XHTML(HTML):
    """An HTML document whose tree comes from the C XML parser instead of WeasyPrint's pure
    Python HTML5 parser (7–10 % of a list part's time). The templates are well-formed XHTML
    (void elements closed, no named entities, Jinja's escaping is XML-safe); anything the XML
    parser refuses goes through the HTML parser instead (`_document`)."""

    def __init__(self, string: str, url_fetcher: URLFetcher) -> None:
        import cssselect2

        root = ElementTree.fromstring(_DOCTYPE.sub("", string, count=1))
        if root.tag != "html":
            raise ValueError("not an XHTML document")
        self.base_url = None
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element


def _document(html: str) -> HTML:
    fetcher = NoFetch()
    try:
        return _XHTML(html, fetcher)
    except Exception:
        return HTML(string=html, base_url=None, url_fetcher=fetcher)


def _write_pdf(html: str, target: str | BytesIO) -> None:
    _document(html).write_pdf(target)


def _child(html: str, path: str) -> None:  # pragma: no cover - runs in a forked child
    code = 1
    try:
        gc.disable()
        _write_pdf(html, path + ".tmp")
        os.replace(path + ".tmp", path)
        code = 0
    except BaseException:
        with contextlib.suppress(BaseException):
            Path(path + ".err").write_text(traceback.format_exc()[-4000:], encoding="utf-8")
    finally:
        os._exit(code)


class _Gc:
    """The garbage collector off for a while (WeasyPrint's boxes are acyclic enough; the
    collector's passes over millions of objects cost 9–15 %), restored afterwards."""

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was_enabled:
            gc.enable()


@dataclass
class _Job:
    """Work of the parent's own, done while children render: `run` once `ready()` says so."""

    run: Callable[[], None]
    ready: Callable[[], bool] = lambda: True


class _Schedule:
    """The parts to render and the parent's own jobs to run while children work.

    `parts` grows: a job may append parts (the list pages are planned while the berita acara
    renders). Results are kept by part index, which is document order."""

    def __init__(self, parts: list[Part], jobs: Sequence[_Job]) -> None:
        self.parts = parts
        self.jobs = list(jobs)
        self.order = list(range(len(parts)))  # the front parts first: nothing to plan
        self.results: dict[int, bytes] = {}

    def add(self, parts: Sequence[Part]) -> None:
        """More parts to render: costliest first (longest processing time first)."""
        start = len(self.parts)
        self.parts.extend(parts)
        new = sorted(range(start, len(self.parts)), key=lambda i: -self.parts[i].cost)
        self.order.extend(new)

    def run_job(self) -> bool:
        """Run the first job that is ready; False if none is."""
        for job in self.jobs:
            if job.ready():
                self.jobs.remove(job)
                job.run()
                return True
        return False


def _render_in_process(schedule: _Schedule, tick: Callable[[Part], None]) -> None:
    with _Gc():
        while True:
            while schedule.run_job():
                pass
            if not schedule.order:
                break
            index = schedule.order.pop(0)
            part = schedule.parts[index]
            buffer = BytesIO()
            _write_pdf(part.html(), buffer)
            schedule.results[index] = buffer.getvalue()
            tick(part)


def _render_forked(schedule: _Schedule, workers: int, tick: Callable[[Part], None]) -> None:
    """Each part in a fresh forked child, at most `workers` at a time. While the children work,
    the parent runs its jobs and makes the next part's HTML."""
    context = multiprocessing.get_context("fork")
    parts, order = schedule.parts, schedule.order  # both grow in place (jobs add parts)
    ready_html: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="ba-render-") as tmp:
        running: dict[Any, tuple[Any, int, float]] = {}  # sentinel -> (process, index, start)
        try:
            while True:
                while order and len(running) < workers:
                    index = order.pop(0)
                    html = ready_html.pop(index, None) or parts[index].html()
                    path = os.path.join(tmp, f"part-{index}.pdf")
                    process = context.Process(target=_child, args=(html, path), daemon=True)
                    process.start()
                    del html
                    running[process.sentinel] = (process, index, time.monotonic())
                if schedule.run_job():
                    continue
                if order and order[0] not in ready_html:
                    ready_html[order[0]] = parts[order[0]].html()
                    continue
                if not running:
                    break
                for sentinel in multiprocessing.connection.wait(list(running), timeout=5.0):
                    process, index, _start = running.pop(sentinel)
                    process.join()
                    path = os.path.join(tmp, f"part-{index}.pdf")
                    if process.exitcode != 0 or not os.path.exists(path):
                        err = Path(path + ".err")
                        detail = err.read_text(encoding="utf-8") if err.exists() else ""
                        raise RenderError(
                            f"part {index} failed (exit {process.exitcode}): {detail}"
                        )
                    schedule.results[index] = Path(path).read_bytes()
                    os.unlink(path)
                    tick(parts[index])
                now = time.monotonic()
                for _process, index, start in running.values():
                    if now - start > PART_TIMEOUT:
                        raise RenderError(f"part {index} timed out after {PART_TIMEOUT:.0f} s")
        finally:
            for process, _index, _start in running.values():
                process.kill()
                process.join()


# --- overlay, merge, embedding ---------------------------------------------------------------


@cache
def _qr_data_uri(url: str) -> str:
    return segno.make(url, error="m", micro=False).png_data_uri(scale=4, border=0)


def _frame_pdf(ba: dict[str, Any]) -> bytes:
    """One page: what every page's margins carry alike (footer rule, BA number, short hash,
    QR code, the draft watermark). Laid over every page as one shared form XObject."""
    html = render_template(
        "berita_acara/pdf/overlay_frame.html",
        ba=ba,
        css=css("overlay"),
        title="frame",
        qr=_qr_data_uri(ba["verify_url"]),
    )
    buffer = BytesIO()
    _write_pdf(html, buffer)
    return buffer.getvalue()


def _numbers_pdf(ba: dict[str, Any], heads: Sequence[str | None]) -> bytes:
    """One page per page: the running head and "Halaman X dari Y" (the only things that differ
    from page to page). Plain flow, no positioning: ~5 ms a page."""
    html = render_template(
        "berita_acara/pdf/overlay_pages.html",
        ba=ba,
        css=css("overlay"),
        title="pages",
        heads=heads,
        total=len(heads),
    )
    buffer = BytesIO()
    with _Gc():
        _write_pdf(html, buffer)
    return buffer.getvalue()


def _page_count(pdf: bytes) -> int:
    with pikepdf.open(BytesIO(pdf)) as document:
        return len(document.pages)


def _merge(parts: Sequence[bytes]) -> tuple[pikepdf.Pdf, list[int], list[pikepdf.Pdf]]:
    merged = pikepdf.new()
    sources = []
    counts = []
    for data in parts:
        source = pikepdf.open(BytesIO(data))
        sources.append(source)
        counts.append(len(source.pages))
        merged.pages.extend(source.pages)
    return merged, counts, sources


def _lay_over(merged: pikepdf.Pdf, frame: bytes, numbers: bytes) -> list[pikepdf.Pdf]:
    frame_pdf = pikepdf.open(BytesIO(frame))
    numbers_pdf = pikepdf.open(BytesIO(numbers))
    if len(numbers_pdf.pages) != len(merged.pages):
        raise RenderError(f"overlay has {len(numbers_pdf.pages)} pages for {len(merged.pages)}")
    shared = merged.copy_foreign(frame_pdf.pages[0].as_form_xobject())
    for page, over in zip(merged.pages, numbers_pdf.pages, strict=True):
        page.add_overlay(shared, pikepdf.Rectangle(page.mediabox))
        # No rectangle: the page's own (None, the default, which pikepdf's stub leaves out).
        page.add_overlay(over, None)
    return [frame_pdf, numbers_pdf]


def _finish(
    merged: pikepdf.Pdf,
    canonical: bytes,
    *,
    sha256: str,
    verify_url: str,
    ba: dict[str, Any],
    outline: list[tuple[str, int]],
) -> bytes:
    merged.attachments[ATTACHMENT_NAME] = pikepdf.AttachedFileSpec(
        merged,
        canonical,
        description=_("Daftar keputusan (JSON kanonik); SHA-256 %(hash)s", hash=sha256),
        filename=ATTACHMENT_NAME,
        mime_type="application/json",
        relationship=pikepdf.Name.Data,
    )
    merged.docinfo = merged.make_indirect(pikepdf.Dictionary())
    merged.docinfo["/Title"] = _(
        "Berita Acara %(meeting)s Nomor %(number)s",
        meeting=ba["meeting_title"],
        number=ba["number"],
    )
    merged.docinfo["/Subject"] = _(
        "Keputusan %(meeting)s tanggal %(date)s; SHA-256 daftar keputusan %(hash)s",
        meeting=ba["meeting_title"],
        date=ba["date_long"],
        hash=sha256,
    )
    merged.docinfo["/Creator"] = "Portal Musyawarah"
    merged.docinfo["/Producer"] = "Portal Musyawarah (WeasyPrint, pikepdf)"
    merged.docinfo["/PortalSha256"] = sha256
    merged.docinfo["/PortalVerification"] = verify_url
    merged.Root.Lang = pikepdf.String("id")
    with merged.open_outline() as tree:
        for label, page in outline:
            tree.root.append(pikepdf.OutlineItem(label, page))
    buffer = BytesIO()
    merged.save(buffer, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


#: The most `keputusan.json` may inflate to when read from a PDF (uploads are untrusted). The
#: largest real one, thousands of families with their members' decisions, is a few MB.
EMBEDDED_MAX_BYTES = 32 * 1024 * 1024
#: Canonical JSON deflates ~5-10× (NIKs, names); a deflate bomb ~1,000×.
EMBEDDED_MAX_RATIO = 100


def _embedded_bytes(spec: Any) -> bytes | None:
    """The attachment's bytes, inflated with caps (never pikepdf's unbounded read_bytes): only
    no filter or a plain /FlateDecode, as the portal writes it. Raises InflationRefused."""
    stream = spec.get_file().obj
    declared = stream.stream_dict.get("/Params", pikepdf.Dictionary()).get("/Size")
    if isinstance(declared, int) and declared > EMBEDDED_MAX_BYTES:
        raise inflation.too_large(f"declares {declared} bytes")
    filters = stream.stream_dict.get("/Filter")
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    if "/DecodeParms" in stream.stream_dict:
        return None
    raw = stream.read_raw_bytes()  # at most the upload's own size
    if filters is None:
        if len(raw) > EMBEDDED_MAX_BYTES:
            raise inflation.too_large(f"{len(raw)} bytes")
        return raw
    if filters != pikepdf.Name.FlateDecode:
        return None
    return inflation.inflate(raw, max_size=EMBEDDED_MAX_BYTES, max_ratio=EMBEDDED_MAX_RATIO)


def read_embedded(
    pdf: bytes, *, refuse_too_large: bool = False
) -> tuple[bytes | None, dict[str, str]]:
    """The attached `keputusan.json` (None when absent or unreadable) and those of the docinfo
    keys Title, Subject, PortalSha256, PortalVerification that are present. Never raises, but
    with `refuse_too_large` an attachment beyond EMBEDDED_MAX_BYTES (or inflating more than
    EMBEDDED_MAX_RATIO ×) raises InflationRefused instead of reading as None."""
    try:
        with pikepdf.open(BytesIO(pdf)) as source:
            info: dict[str, str] = {}
            docinfo = source.trailer.get("/Info")
            if isinstance(docinfo, pikepdf.Dictionary):
                for key in DOCINFO_KEYS:
                    value = docinfo.get("/" + key)
                    if isinstance(value, pikepdf.String):
                        info[key] = str(value)
            data = None
            try:
                spec = source.attachments.get(ATTACHMENT_NAME)
                if spec is not None:
                    data = _embedded_bytes(spec)
            except inflation.InflationRefused as refused:
                if refused.too_large and refuse_too_large:
                    raise
                data = None
            except Exception:
                data = None
            return data, info
    except inflation.InflationRefused:
        raise
    except Exception:
        return None, {}


def _running_heads(
    parts: Sequence[Part], counts: Sequence[int]
) -> tuple[list[str | None], list[tuple[str, int]], int]:
    """Per page: the running head (on an attachment's pages after its first); the outline
    (bookmarks); the number of attachment pages the planner expected."""
    heads: list[str | None] = []
    outline: list[tuple[str, int]] = []
    planned = 0
    position = 0
    for part, count in zip(parts, counts, strict=True):
        if part.kind == "front":
            outline.append((_("Berita Acara"), position))
            heads.extend([None] * count)
        elif part.kind == "hadir":
            label = _("Lampiran %(numeral)s", numeral="I")
            outline.append((f"{label}: {_('Daftar hadir')}", position))
            heads.append(None)
            heads.extend([_("%(label)s (lanjutan)", label=label)] * (count - 1))
        else:
            plan = part.pages
            planned += len(plan)
            for i in range(count):
                page = plan[min(i, len(plan) - 1)]
                label = _("Lampiran %(numeral)s", numeral=page.lampiran.numeral)
                if page.first and i < len(plan):
                    title = page.lampiran.title.capitalize()
                    outline.append((f"{label}: {title}", position + i))
                    heads.append(None)
                else:
                    heads.append(_("%(label)s (lanjutan)", label=label))
        position += count
    return heads, outline, planned


# --- the API -----------------------------------------------------------------------------------

_RENDER_LOCK = threading.Lock()


def render_ba_pdf(
    canonical: bytes,
    *,
    sha256: str,
    verify_url: str,
    draft: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> RenderResult:
    """The berita acara of the canonical decided list as a PDF (unsigned). Needs an app context
    (templates, gettext, REGISTER_NAME); forks up to `workers` (default: the usable CPUs)
    children for a large document. One render at a time per process."""
    with _RENDER_LOCK:
        return _render(canonical, sha256, verify_url, draft, workers, progress)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _render(
    canonical: bytes,
    sha256: str,
    verify_url: str,
    draft: bool,
    workers: int | None,
    progress: Callable[[int], None] | None,
) -> RenderResult:
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def report(percent: float) -> None:
        if progress is not None:
            try:
                progress(int(percent))
            except Exception:  # the progress bar never stops the render
                log.exception("berita acara: progress callback failed")

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 4)
        return now

    workers = max(1, workers or _usable_cpus())
    doc = json.loads(canonical)
    report(1)
    t = time.perf_counter()
    ba = build_context(doc, sha256=sha256, verify_url=verify_url, draft=draft)
    front = front_parts(ba)
    families = doc.get("families") or {}
    rows = sum(len(families.get(k) or []) for k in ("tetap", "keluar", "baru", "perbaikan"))
    rows += sum(len(f.get("members") or []) for f in families.get("baru") or [])
    t = lap("context", t)
    report(2)

    costs = {"total": sum(p.cost for p in front) + 6 * rows + 1, "done": 0}
    made: dict[str, Any] = {}

    def plan() -> None:
        started_plan = time.perf_counter()
        parts, _lampiran = list_parts(doc, ba, workers, sum(p.cost for p in front))
        costs["total"] = sum(p.cost for p in front + parts) or 1
        schedule.add(parts)
        made["planned"] = True
        timings["plan"] = round(time.perf_counter() - started_plan, 4)

    def frame() -> None:  # first: it also loads the fonts that forked children then inherit
        made["frame"] = _frame_pdf(ba)

    def numbers_ready() -> bool:
        return "planned" in made and 0 in schedule.results and 1 in schedule.results

    def numbers() -> None:
        """The page numbers, made while the attachments render: their page counts are the
        planner's (checked at the end; made again in the rare case WeasyPrint differs)."""
        counts = [_page_count(schedule.results[0]), _page_count(schedule.results[1])]
        counts += [len(part.pages) for part in schedule.parts[2:]]
        heads = _running_heads(schedule.parts, counts)[0]
        made["numbers"] = (heads, _numbers_pdf(ba, heads))

    def tick(part: Part) -> None:
        costs["done"] += part.cost
        report(3 + 85 * min(1.0, costs["done"] / costs["total"]))

    schedule = _Schedule(front, [_Job(frame), _Job(plan), _Job(numbers, numbers_ready)])
    if rows < IN_PROCESS_ROWS:
        _render_in_process(schedule, tick)
    else:
        _render_forked(schedule, workers, tick)
    while schedule.run_job():  # pragma: no cover - the jobs are done by now
        pass
    parts = schedule.parts
    rendered = [schedule.results[i] for i in range(len(parts))]
    t = lap("parts", t)

    merged, counts, sources = _merge(rendered)
    del rendered
    total = len(merged.pages)
    heads, outline, planned = _running_heads(parts, counts)
    list_pages = total - counts[0] - counts[1]
    if planned != list_pages:
        log.warning(
            "berita acara: planned %s attachment pages, WeasyPrint made %s", planned, list_pages
        )
    t = lap("merge", t)
    report(90)

    numbers_heads, numbers_pdf = made["numbers"]
    if numbers_heads != heads:
        numbers_pdf = _numbers_pdf(ba, heads)
    sources += _lay_over(merged, made["frame"], numbers_pdf)
    t = lap("overlay", t)
    report(95)

    pdf = _finish(merged, canonical, sha256=sha256, verify_url=verify_url, ba=ba, outline=outline)
    for source in sources:
        source.close()
    lap("finish", t)
    report(100)
    return RenderResult(
        pdf=pdf,
        pages=total,
        seconds=time.perf_counter() - started,
        parts=len(parts),
        timings=timings,
        planned_pages=planned,
        list_pages=list_pages,
    )
