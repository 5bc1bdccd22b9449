"""Background jobs (Huey): imports and, later, PDF generation run outside the web request.

Storage: SQLite in instance/ by default (embedded, no other server); Redis when
`PORTAL_REDIS_URL` (or REDIS_URL in instance/config.py) is set, so workers on any number of
machines share one queue. Tests switch the queue to immediate mode (tasks run at enqueue).

Run a worker: `huey_consumer portal.jobs.huey -w 2` (scripts/run.sh starts one).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, has_app_context
from huey import Huey, RedisHuey, SqliteHuey

F = TypeVar("F", bound=Callable[..., Any])


def _settings() -> dict[str, Any]:
    """The app's configuration without building the app (the queue exists before it)."""
    from portal.config import load_config

    probe = Flask("portal", instance_relative_config=True)
    probe.root_path = str(Path(__file__).parent)
    probe.instance_path = str(Path(__file__).parent.parent / "instance")
    load_config(probe, None)
    return dict(probe.config)


def make_huey(config: dict[str, Any]) -> Huey:
    if config.get("REDIS_URL"):
        return RedisHuey("portal", url=config["REDIS_URL"])
    path = config.get("HUEY_SQLITE_PATH") or str(
        Path(__file__).parent.parent / "instance" / "huey.sqlite"
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("portal", filename=path)


huey = make_huey(_settings())

_worker_app: Flask | None = None


def with_app_context(task: F) -> F:
    """Run a task inside an app context: the caller's (immediate mode, CLI) or the worker's."""

    @wraps(task)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return task(*args, **kwargs)
        global _worker_app
        if _worker_app is None:
            from portal import create_app

            _worker_app = create_app()
        from portal.extensions import db

        with _worker_app.app_context():
            try:
                return task(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    huey.immediate = bool(app.config.get("HUEY_IMMEDIATE"))


# Task modules register themselves on `huey` when imported.
from portal.blueprints.berita_acara import tasks as _ba_tasks  # noqa: E402, F401
from portal.blueprints.notifications import tasks as _notification_tasks  # noqa: E402, F401
from portal.blueprints.register import tasks  # noqa: E402, F401
