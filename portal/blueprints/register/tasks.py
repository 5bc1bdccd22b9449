"""The register's background jobs: validating an upload into a preview, applying it."""

from __future__ import annotations

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
