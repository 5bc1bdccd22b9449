"""The fork pool: each part renders in a fresh child forked from the parent (`multiprocessing`'s
fork context), at most `workers` at a time, the costliest first; a small document (fewer than
IN_PROCESS_ROWS list rows) renders in-process, nothing forked.

A child only runs WeasyPrint on an HTML string the parent made, with the garbage collector off,
writes the PDF to a temporary file and leaves with `os._exit`. It calls `_write_pdf` as looked
up in this module (a test that breaks the children patches `workers._write_pdf`). While the
children work, the parent runs its own jobs (`_Job`: plan the list pages, render the overlays)
and makes the next part's HTML. A part that fails or runs past PART_TIMEOUT fails the render
(RenderError) and the other children are killed.

Children inherit the parent's open sockets and database connections; they never use them and
end with `os._exit`, so nothing is closed or flushed on the parent's behalf.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.connection
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from portal.blueprints.berita_acara.rendering.parts import Part
from portal.blueprints.berita_acara.rendering.weasy import _Gc, _write_pdf

#: Below this many list rows in all the document renders in-process (no fork).
IN_PROCESS_ROWS = 300
#: A forked part that has not finished after this many seconds is killed and the render fails.
PART_TIMEOUT = 600.0


class RenderError(RuntimeError):
    """The PDF could not be rendered (a part failed or timed out)."""


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


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
