"""The register's background jobs: validating an upload into a preview, applying it, and
settling the imports whose worker died."""

from __future__ import annotations

from huey import crontab

from portal.jobs import huey, with_app_context


@huey.task()
@with_app_context
def validate_import_task(import_id: int) -> None:
    from portal.blueprints.register.services import validate_import

    validate_import(import_id)


@huey.task()
@with_app_context
def apply_import_task(import_id: int) -> None:
    from portal.blueprints.register.services import apply_import

    apply_import(import_id)


@huey.periodic_task(crontab(minute="*/5"))
@with_app_context
def settle_stalled_imports_task() -> None:
    """An import left 'checking' or 'saving' by a worker that died is failed, or sent back to
    its preview, with the reason (a dead job wrote nothing: the register is one transaction)."""
    from portal.blueprints.register.services import settle_stalled_imports

    settle_stalled_imports()
