"""The register's background jobs: validating an upload into a preview, applying it, and
settling the imports whose worker died.

The jobs own their transactions (the services they call only flush): the check job commits its
progress as it reads (it writes nothing to the register); the apply job writes the register in
one transaction and keeps nothing unless, at its end, the import is still its own.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from huey import crontab
from sqlalchemy import select, update

from portal import audit
from portal.blueprints.register.applying import apply_plan
from portal.blueprints.register.models import RegisterImport
from portal.blueprints.register.reading import FileProblem
from portal.blueprints.register.services import importing, stalled
from portal.blueprints.register.services.analysis import ImportRefused, analyse
from portal.extensions import db
from portal.jobs import huey, with_app_context
from portal.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)


@huey.task()
@with_app_context
def validate_import_task(import_id: int) -> None:
    validate_import(import_id)


@huey.task()
@with_app_context
def apply_import_task(import_id: int) -> None:
    apply_import(import_id)


@huey.periodic_task(crontab(minute="*/5"))
@with_app_context
def settle_stalled_imports_task() -> None:
    """An import left 'checking' or 'saving' by a worker that died is failed, or sent back to
    its preview, with the reason (a dead job wrote nothing: the register is one transaction)."""
    settle_stalled_imports()


def validate_import(import_id: int) -> None:
    """The preview. Commits its own progress (it writes nothing to the register)."""
    record = db.session.get(RegisterImport, import_id)
    if record is None or record.status not in ("queued", "validating"):
        return
    record.started_at = utcnow()
    importing.set_status(record, "validating", 10)
    db.session.commit()

    def progress(done: int, estimated: int) -> None:
        # Reading only so far: committing the progress row cannot expose a half-done import.
        record.progress = min(90, 10 + 80 * done // max(estimated, done, 1))
        db.session.commit()

    try:
        analysis = analyse(importing.file_of(record), record.scope_code, on_progress=progress)
    except (FileProblem, ImportRefused) as problem:
        db.session.rollback()
        importing.set_status(record, "failed", 100, problem.message)
        record.finished_at = utcnow()
        db.session.commit()
        return
    except Exception:
        db.session.rollback()
        log.exception("register import %s: validation failed", import_id)
        importing.set_status(
            record,
            "failed",
            100,
            _("Terjadi kesalahan saat memeriksa berkas; tidak ada yang diubah."),
        )
        record.finished_at = utcnow()
        db.session.commit()
        return
    status = db.session.execute(
        select(RegisterImport.status).where(RegisterImport.id == import_id).with_for_update()
    ).scalar_one()
    if status != "validating":
        db.session.rollback()  # settled as stalled, or cancelled, meanwhile: leave it so
        return
    record.summary = analysis.summary()
    record.issues = [issue.as_list() for issue in analysis.issues[: importing.MAX_STORED_ISSUES]]
    record.finished_at = utcnow()
    importing.set_status(record, "preview", 100)
    db.session.commit()


def apply_import(import_id: int) -> None:
    """The confirmed import, in one transaction. A failure leaves the register as it was.

    The job stamps its start (committed) and writes the register only if, at the end, the import
    is still `applying` with its own stamp: a job taken for dead (`settle_stalled`) and asked
    again, should it wake, stops instead of finishing the same work twice."""
    record = db.session.get(RegisterImport, import_id)
    if record is None or record.status != "applying":
        return
    user_id = record.applied_by
    stamp = record.started_at = utcnow()
    db.session.commit()
    try:
        analysis = analyse(importing.file_of(record), record.scope_code)
        if _plan_counts(analysis.summary()) != _plan_counts(record.summary or {}):
            # The register changed since the preview (another import landed): show the new
            # preview and ask again, rather than do something other than what was confirmed.
            if not _still_applying(import_id, stamp):
                db.session.rollback()
                return
            record.summary = analysis.summary()
            record.issues = [
                issue.as_list() for issue in analysis.issues[: importing.MAX_STORED_ISSUES]
            ]
            importing.set_status(
                record,
                "preview",
                100,
                _(
                    "Register berubah sejak pratinjau dibuat. Periksa pratinjau baru ini, lalu "
                    "konfirmasi lagi."
                ),
            )
            db.session.commit()
            return
        apply_plan(analysis.plan, import_id=record.id, user_id=user_id)
        if not _still_applying(import_id, stamp):
            db.session.rollback()  # superseded: nothing of this job is kept
            return
        record.summary = analysis.summary()
        record.issues = [
            issue.as_list() for issue in analysis.issues[: importing.MAX_STORED_ISSUES]
        ]
        record.applied_at = record.finished_at = utcnow()
        importing.set_status(record, "done", 100)
        audit.record(
            "register.import_apply",
            object_type="register_import",
            object_id=record.id,
            region_code=record.scope_code,
            user_id=user_id,
            details={k: v for k, v in record.summary.items() if isinstance(v, int)},
        )
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("register import %s: apply failed", import_id)
        message = (
            error.message
            if isinstance(error, FileProblem | ImportRefused)
            else _(
                "Terjadi kesalahan saat menyimpan; register tidak berubah. Coba lagi atau hubungi "
                "pengelola portal."
            )
        )
        db.session.execute(
            update(RegisterImport)
            .where(
                RegisterImport.id == import_id,
                RegisterImport.status == "applying",
                RegisterImport.started_at == stamp,
            )
            .values(status="failed", progress=100, message=message, finished_at=utcnow())
        )
        db.session.commit()


def _still_applying(import_id: int, stamp: datetime) -> bool:
    """Is the import still this job's (row locked until the commit on PostgreSQL; on SQLite the
    job's open write transaction already keeps every other writer out)?"""
    row = db.session.execute(
        select(RegisterImport.status, RegisterImport.started_at)
        .where(RegisterImport.id == import_id)
        .with_for_update()
    ).one_or_none()
    return (
        row is not None
        and row.status == "applying"
        and row.started_at is not None
        and as_utc(row.started_at) == as_utc(stamp)
    )


def _plan_counts(summary: dict[str, Any]) -> tuple[int, ...]:
    keys = ("add", "change", "unchanged", "reactivate", "remove", "held", "persons_new")
    return tuple(summary.get(key, -1) for key in keys)


def settle_stalled_imports() -> int:
    """Periodic: settle every stalled import; how many were."""
    records = db.session.execute(
        select(RegisterImport).where(RegisterImport.status.in_(stalled.RUNNING))
    ).scalars()
    settled = sum(stalled.settle_stalled(record) for record in list(records))
    db.session.commit()
    return settled
