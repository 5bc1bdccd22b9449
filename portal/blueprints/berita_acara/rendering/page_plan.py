"""The page planner: the list attachments' tables cut into pages before WeasyPrint sees them.

The height of every row is known from the font's advance widths (`metrics.wrapped_lines`), so
the rows are cut into pages of one small fixed-layout table each, a new family kept with its
members (`paginate`). The page geometry here must agree with pdf.css; PAGE_SLACK is the room
kept free on every planned page. If WeasyPrint ever makes a different number of pages than
planned, the page numbers are made again from the real count (`pipeline`), so a wrong plan
costs time, never a wrong number. `paginate` reads PAGE_SLACK from this module at call time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from portal.blueprints.berita_acara.rendering.metrics import wrapped_lines

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
