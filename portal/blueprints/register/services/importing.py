"""An import's life: the upload, confirm or cancel; what the jobs (`register/tasks.py`: the check
that makes the preview, the apply) read and write. Everything here only flushes.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete

from portal import audit
from portal.blueprints.register.models import RegisterImport, RegisterImportFile
from portal.blueprints.register.services.analysis import ImportRefused, checked_target
from portal.extensions import db
from portal.timeutil import utcnow

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


def file_of(record: RegisterImport) -> bytes:
    stored = db.session.get(RegisterImportFile, record.id)
    assert stored is not None  # kept with its import until the import is applied
    return stored.content


def set_status(record: RegisterImport, status: str, progress: int, message: str | None = None):
    record.status, record.progress, record.message = status, progress, message


def confirm_import(record: RegisterImport, *, user: Any) -> None:
    if record.status != "preview":
        raise ImportRefused(_("Impor ini tidak sedang menunggu konfirmasi."))
    if not (record.summary or {}).get("families_in_file"):
        raise ImportRefused(_("Tidak ada keluarga yang sah untuk diimpor."))
    set_status(record, "applying", 0)
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
    set_status(record, "cancelled", 100, None)
    # The upload holds full NIKs: a cancelled import keeps no copy (UU 27/2022, data minimisation).
    db.session.execute(delete(RegisterImportFile).where(RegisterImportFile.import_id == record.id))
    audit.record(
        "register.import_cancel",
        object_type="register_import",
        object_id=record.id,
        region_code=record.scope_code,
    )
    db.session.flush()
