"""An import's life: the upload, the check job (the preview), confirm or cancel, the apply job.

The jobs commit their own progress; the apply job writes the register in one transaction and
keeps nothing unless, at its end, the import is still its own.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from portal import audit
from portal.blueprints.register.applying import apply_plan
from portal.blueprints.register.models import RegisterImport, RegisterImportFile
from portal.blueprints.register.reading import FileProblem
from portal.blueprints.register.services.analysis import ImportRefused, analyse, checked_target
from portal.extensions import db
from portal.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)
MAX_STORED_ISSUES = 20_000


def create_import(*, user: Any, scope_code: str, filename: str, data: bytes) -> RegisterImport:
    limit = current_app.config["MAX_CONTENT_LENGTH"] or 0
    if not data:
        raise ImportRefused(_("Berkas kosong (0 byte)."))
    if limit and len(data) > limit:
        raise ImportRefused(_("Berkas melebihi batas %(mb)d MB.", mb=limit // (1024 * 1024)))
    checked_target(scope_code)  # refuses a wrong or busy target before anything is stored
    record = RegisterImport(
        created_by=getattr(user, "id", None),
        scope_code=scope_code,
        filename=(filename or "berkas")[-255:],
        file_size=len(data),
        file_sha256=hashlib.sha256(data).hexdigest(),
        status="queued",
        progress=0,
    )
    db.session.add(record)
    db.session.flush()
    db.session.add(RegisterImportFile(import_id=record.id, content=data))
    audit.record(
        "register.import_upload",
        object_type="register_import",
        object_id=record.id,
        region_code=scope_code,
        details={
            "filename": record.filename,
            "size": record.file_size,
            "sha256": record.file_sha256,
        },
    )
    db.session.flush()
    return record


def _file_of(record: RegisterImport) -> bytes:
    stored = db.session.get(RegisterImportFile, record.id)
    assert stored is not None  # kept with its import until the import is applied
    return stored.content


def _set_status(record: RegisterImport, status: str, progress: int, message: str | None = None):
    record.status, record.progress, record.message = status, progress, message


def validate_import(import_id: int) -> None:
    """Job: the preview. Commits its own progress (it writes nothing to the register)."""
    record = db.session.get(RegisterImport, import_id)
    if record is None or record.status not in ("queued", "validating"):
        return
    record.started_at = utcnow()
    _set_status(record, "validating", 10)
    db.session.commit()

    def progress(done: int, estimated: int) -> None:
        # Reading only so far: committing the progress row cannot expose a half-done import.
        record.progress = min(90, 10 + 80 * done // max(estimated, done, 1))
        db.session.commit()

    try:
        analysis = analyse(_file_of(record), record.scope_code, on_progress=progress)
    except (FileProblem, ImportRefused) as problem:
        db.session.rollback()
        _set_status(record, "failed", 100, problem.message)
        record.finished_at = utcnow()
        db.session.commit()
        return
    except Exception:
        db.session.rollback()
        log.exception("register import %s: validation failed", import_id)
        _set_status(
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
    record.issues = [issue.as_list() for issue in analysis.issues[:MAX_STORED_ISSUES]]
    record.finished_at = utcnow()
    _set_status(record, "preview", 100)
    db.session.commit()


def confirm_import(record: RegisterImport, *, user: Any) -> None:
    if record.status != "preview":
        raise ImportRefused(_("Impor ini tidak sedang menunggu konfirmasi."))
    if not (record.summary or {}).get("families_in_file"):
        raise ImportRefused(_("Tidak ada keluarga yang sah untuk diimpor."))
    _set_status(record, "applying", 0)
    record.started_at = utcnow()  # the stalled check counts from here until the job starts
    record.applied_by = getattr(user, "id", None)
    audit.record(
        "register.import_confirm",
        object_type="register_import",
        object_id=record.id,
        region_code=record.scope_code,
    )
    db.session.flush()


def cancel_import(record: RegisterImport, *, user: Any) -> None:
    if record.status not in ("preview", "failed", "queued"):
        raise ImportRefused(_("Impor ini tidak dapat dibatalkan lagi."))
    _set_status(record, "cancelled", 100, None)
    # The upload holds full NIKs: a cancelled import keeps no copy (UU 27/2022, data minimisation).
    db.session.execute(delete(RegisterImportFile).where(RegisterImportFile.import_id == record.id))
    audit.record(
        "register.import_cancel",
        object_type="register_import",
        object_id=record.id,
        region_code=record.scope_code,
    )
    db.session.flush()


def apply_import(import_id: int) -> None:
    """Job: the confirmed import, in one transaction. A failure leaves the register as it was.

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
        analysis = analyse(_file_of(record), record.scope_code)
        if _plan_counts(analysis.summary()) != _plan_counts(record.summary or {}):
            # The register changed since the preview (another import landed): show the new
            # preview and ask again, rather than do something other than what was confirmed.
            if not _still_applying(import_id, stamp):
                db.session.rollback()
                return
            record.summary = analysis.summary()
            record.issues = [issue.as_list() for issue in analysis.issues[:MAX_STORED_ISSUES]]
            _set_status(
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
        record.issues = [issue.as_list() for issue in analysis.issues[:MAX_STORED_ISSUES]]
        record.applied_at = record.finished_at = utcnow()
        _set_status(record, "done", 100)
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
