"""Text measurement for the page planner: advance widths of the font the PDF is set in.

The planner (`page_plan`) needs every list row's height before WeasyPrint sees it. The widths
come from fontTools, on the file fontconfig (`fc-match`) picks for FAMILY; lines wrapped with
them at spaces are an upper bound of what Pango does (it has more break opportunities and
kerning), so a planned page never overflows. Both the font file lookup and its metrics are
cached: read once per process.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import cache

log = logging.getLogger(__name__)

FAMILY = "Liberation Serif"


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
