"""The berita acara's background job: render, sign, lock (never inside a web request)."""

from __future__ import annotations

from portal.jobs import huey, with_app_context


@huey.task()
@with_app_context
def generate_task(ba_id: int, base_url: str | None = None) -> None:
    """`base_url` is ignored (jobs queued by an earlier version still carry it): the address in
    the PDF comes from PUBLIC_BASE_URL only."""
    from portal.blueprints.berita_acara.services import generate

    generate(ba_id)
