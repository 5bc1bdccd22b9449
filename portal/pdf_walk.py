"""Is an uploaded PDF (a scan) plain paper, or does it carry active content? Read by pikepdf in a
child process with bounded memory and time.

pikepdf (qpdf) holds every object it parses, about 70 bytes an item of object text: 8 MB of
`1 1 1 …` cost 535 MB, whatever the inflation limits in front of it. So the walk never runs in
the worker: `check` starts this file as a child (`python pdf_walk.py`, importing pikepdf only,
not the app; ~40 MB of address space), the child caps its own address space and CPU time
before it reads a byte, and whatever makes it fail (memory, time, a crash of qpdf) is a refusal,
never the worker's death.

The walk starts at the trailer, as a reader does: names written with #hex escapes read as the
name they spell, and objects packed in compressed object streams are read like any other.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from typing import Any

#: What the child may use: address space (its baseline is ~40 MB) and CPU seconds.
CHILD_MEMORY_BYTES = 256 * 1024 * 1024
CHILD_CPU_SECONDS = 20
#: Objects visited at most.
MAX_NODES = 200_000

# Verdicts, one word on the child's standard output.
PLAIN, ACTIVE, ENCRYPTED, EMPTY, UNREADABLE, TOO_COMPLEX = (
    "plain",
    "active",
    "encrypted",
    "empty",
    "unreadable",
    "too-complex",
)

#: Keys that exist only to run, open or carry something: JavaScript (in an action or the
#: document's name tree), automatic actions, attached files, rich media, XFA forms.
ACTIVE_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/AA",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/EF",
        "/RichMedia",
        "/RichMediaContent",
        "/XFA",
        "/Launch",
    }
)
#: Names that make an action or an object active: run a script or a program, open another
#: file, send or import form data, play rich media, an attached file.
ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/GoToE",
        "/Rendition",
        "/RichMediaExecute",
        "/RichMedia",
        "/EmbeddedFile",
    }
)


def check(data: bytes) -> str:
    """The verdict on `data`, read in a bounded child process."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", os.path.abspath(__file__)],
            input=data,
            capture_output=True,
            timeout=CHILD_CPU_SECONDS * 3,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return TOO_COMPLEX
    answer = done.stdout.decode("ascii", "replace").strip()
    if done.returncode != 0 or answer not in (PLAIN, ACTIVE, ENCRYPTED, EMPTY, UNREADABLE):
        return TOO_COMPLEX  # out of memory or time, or qpdf crashed
    return answer


def verdict(data: bytes) -> str:
    """The verdict, read here (in the child)."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                return ENCRYPTED
            if _active(pdf):
                return ACTIVE
            if len(pdf.pages) == 0:
                return EMPTY
            return PLAIN
    except _TooComplex:
        return TOO_COMPLEX
    except MemoryError:
        raise
    except Exception:  # unreadable content is simply not accepted
        return UNREADABLE


class _TooComplex(Exception):
    pass


def _active(pdf: Any) -> bool:
    """Whether anything a reader reaches from the trailer is active content (ACTIVE_KEYS,
    ACTIVE_NAMES, an /OpenAction that is an action other than going to a page)."""
    import pikepdf

    stack: list[Any] = [pdf.trailer]
    seen: set[tuple[int, int]] = set()
    visits = 0
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Object):
            continue  # numbers, booleans
        visits += 1
        if visits > MAX_NODES:
            raise _TooComplex
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if isinstance(node, pikepdf.Name):
            if str(node) in ACTIVE_NAMES:
                return True
        elif isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary | pikepdf.Stream):
            entries = node.stream_dict if isinstance(node, pikepdf.Stream) else node
            for key, value in entries.items():
                if key in ACTIVE_KEYS:
                    return True
                if (
                    key == "/OpenAction"
                    and isinstance(value, pikepdf.Dictionary)
                    and value.get("/S") != pikepdf.Name.GoTo
                ):
                    return True  # an action on opening; a destination (an array) is a page
                stack.append(value)
    return False


def _child() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))
    data = sys.stdin.buffer.read()
    sys.stdout.write(verdict(data))


if __name__ == "__main__":
    _child()
