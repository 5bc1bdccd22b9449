"""`render_ba_pdf`: the canonical decided list to the finished, unsigned berita acara PDF.

The phases in order (why it is fast: the package docstring): the context; the berita acara and
Lampiran I start rendering while the parent renders the frame overlay (first: it also loads the
fonts that forked children then inherit), plans the list pages and renders the page numbers
from the plan; merge; the overlays (the numbers made again if WeasyPrint's page count differs
from the plan); the attachment and docinfo. `RenderResult.timings` has the seconds per phase.

One render at a time per process (a module lock), so two threads of one worker do not fork
while the other is inside WeasyPrint. Callers import `render_ba_pdf` from here at call time
(`services.generate`), so a test replaces it here.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal.blueprints.berita_acara.rendering.assembly import (
    _finish,
    _frame_pdf,
    _lay_over,
    _merge,
    _numbers_pdf,
    _page_count,
    _running_heads,
)
from portal.blueprints.berita_acara.rendering.context import build_context
from portal.blueprints.berita_acara.rendering.parts import Part, front_parts, list_parts
from portal.blueprints.berita_acara.rendering.workers import (
    IN_PROCESS_ROWS,
    _Job,
    _render_forked,
    _render_in_process,
    _Schedule,
    _usable_cpus,
)

log = logging.getLogger(__name__)


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
