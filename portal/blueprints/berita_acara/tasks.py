"""The berita acara's background job: render, sign, lock (never inside a web request)."""

from __future__ import annotations

from portal.jobs import huey, with_app_context


@huey.task()
@with_app_context
def generate_task(ba_id: int, base_url: str | None = None) -> None:
    from portal.blueprints.berita_acara.services import generate

    generate(ba_id, base_url)
