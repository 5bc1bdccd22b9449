"""The parts: the berita acara, Lampiran I and runs of planned list pages, each rendered as a
document of its own (`workers`) and merged afterwards (`assembly`).

The berita acara and Lampiran I need no planning, so they start rendering at once
(`front_parts`); the list pages are planned meanwhile and grouped into runs of about equal cost,
PARTS_PER_WORKER per worker (`list_parts`). A part's cost is in planner units (about table
cells), so the pool can start the costliest first. Also here, for the parts and the overlays:
templates rendered without Flask's context processors (`render_template`) and pdf.css cut at
its section markers (`css`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from portal.blueprints.berita_acara.rendering.lampiran import build_lampiran
from portal.blueprints.berita_acara.rendering.page_plan import Lampiran, Page, paginate

# Beside this package, where the package data (pyproject.toml) names it.
CSS_PATH = Path(__file__).parent.with_name("pdf.css")
#: Parts per worker: more, smaller parts balance better on a busy machine (each costs ~20 ms).
PARTS_PER_WORKER = 4


def render_template(name: str, **context: Any) -> str:
    """A template of the app's Jinja environment (gettext included) without Flask's context
    processors: they expect a request (the current user), and the job has none."""
    return current_app.jinja_env.get_template(name).render(**context)


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
