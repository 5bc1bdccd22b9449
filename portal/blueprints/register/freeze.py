"""Whose prelist must not move now: the seam through which the meetings area tells the register.

The register sits below the meetings (a meeting reads its village's families; the register knows
nothing of meetings). While a village's meeting is under way its prelist stays as the meeting
saw it, and only the meetings area knows which meetings those are: it gives the register a
function at start-up (`add_source`, called when the meetings blueprint is registered), and an
import asks `frozen_villages`. Kept on the app, so two apps in one process do not share it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import current_app
from flask.sansio.app import App

# A source answers the village codes whose prelist is frozen now.
FrozenSource = Callable[[], Iterable[str]]
_KEY = "register.prelist_frozen_by"


def add_source(app: App, name: str, source: FrozenSource) -> None:
    """Register (or replace) the source called `name` for this app."""
    app.extensions.setdefault(_KEY, {})[name] = source


def frozen_villages(codes: Iterable[str]) -> set[str]:
    """Those of `codes` whose prelist must not move now (empty if no area froze any)."""
    wanted = set(codes)
    frozen: set[str] = set()
    for source in current_app.extensions.get(_KEY, {}).values():
        frozen.update(code for code in source() if code in wanted)
    return frozen
