"""Stalled imports: a job whose worker died (or none runs), found and settled.

Nothing of a dead job was kept (the register is written in one transaction), so settling only
tells the user what to do next. The periodic job `settle_stalled_imports` sweeps them all.
"""

from __future__ import annotations

from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, update

from portal import audit
from portal.blueprints.register.models import RegisterImport
from portal.extensions import db
from portal.timeutil import overdue, utcnow

# An import whose job is under way (or waiting for a worker).
RUNNING = ("queued", "validating", "applying")


def is_stalled(record: RegisterImport) -> bool:
    """An import whose job has not finished long after it started (or was queued): its worker
    was killed, or none runs. As for the berita acara (`BeritaAcara.stalled`)."""
    if record.status not in RUNNING:
        return False
    timeout = current_app.config.get("IMPORT_JOB_TIMEOUT", 900)
    return overdue(record.started_at or record.created_at, timeout)


def settle_stalled(record: RegisterImport) -> bool:
    """A stalled import, settled so the user can go on; True when it changed (not committed).

    Nothing of a dead job was kept (the register is written in one transaction), so: a stalled
    check is failed with the reason (upload again); a stalled save goes back to its preview with
    the reason, to be confirmed again. Only if the row is still as seen: a job finishing at this
    moment wins."""
    if not is_stalled(record):
        return False
    was = record.status
    if was == "applying":
        values: dict[str, Any] = {
            "status": "preview",
            "progress": 100,
            "message": _(
                "Penyimpanan terhenti sebelum selesai (pekerja latar berhenti); register tidak "
                "berubah. Periksa pratinjau lalu konfirmasi lagi."
            ),
        }
    else:
        values = {
            "status": "failed",
            "progress": 100,
            "finished_at": utcnow(),
            "message": _(
                "Pemeriksaan berkas terhenti sebelum selesai (pekerja latar berhenti atau tidak "
                "berjalan); register tidak berubah. Unggah berkas lagi."
            ),
        }
    same_start = (
        RegisterImport.started_at.is_(None)
        if record.started_at is None
        else RegisterImport.started_at == record.started_at
    )
    result = db.session.execute(
        update(RegisterImport)
        .where(RegisterImport.id == record.id, RegisterImport.status == was, same_start)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = cast("CursorResult[Any]", result).rowcount  # an UPDATE's result is a cursor's
    db.session.expire(record)
    if not changed:
        return False
    audit.record(
        "register.import_stalled",
        object_type="register_import",
        object_id=record.id,
        region_code=record.scope_code,
        user_id=record.applied_by if was == "applying" else record.created_by,
        details={"status": was},
    )
    db.session.flush()
    return True
