"""The register's rules: uploads, validation into a preview, confirmed application, search.

Routes and the CLI call these; jobs run `validate_import` and `apply_import`. The preview and the
applied import compute the same plan from the stored file, so what was shown is what is done.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, CursorResult, delete, func, or_, select, update

from portal import audit
from portal.access import code_range_condition
from portal.blueprints.regions.models import VILLAGE, Region
from portal.blueprints.register.applying import apply_plan
from portal.blueprints.register.models import (
    ACTIVE,
    Household,
    Person,
    RegisterImport,
    RegisterImportFile,
)
from portal.blueprints.register.planning import Plan, build_plan
from portal.blueprints.register.reading import FileProblem, Table, read_table
from portal.blueprints.register.validation import RegionResolver, Validated, validate_table
from portal.extensions import db
from portal.timeutil import as_utc, overdue, utcnow

log = logging.getLogger(__name__)
MAX_STORED_ISSUES = 20_000
# An import whose job is under way (or waiting for a worker).
RUNNING = ("queued", "validating", "applying")


class ImportRefused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Analysis:
    table: Table
    validated: Validated
    plan: Plan

    @property
    def issues(self):
        return sorted(self.validated.issues + self.plan.issues, key=lambda i: i.row)

    def summary(self) -> dict[str, Any]:
        issues = self.issues
        error_rows = {i.row for i in issues if i.severity == "error"}
        by_village: dict[str, dict[str, int]] = {}
        for family in self.plan.families.values():
            entry = by_village.setdefault(family.village_code, {"families": 0, "persons": 0})
            entry["families"] += 1
            entry["persons"] += len(family.members)
        for household in self.plan.remove:
            entry = by_village.setdefault(
                household.fields["village_code"], {"families": 0, "persons": 0}
            )
            entry["remove"] = entry.get("remove", 0) + 1
        return {
            "format": self.table.format,
            "rows": self.validated.total_rows,
            "rows_valid": self.validated.total_rows - len(error_rows),
            "rows_rejected": len(error_rows),
            "errors": sum(1 for i in issues if i.severity == "error"),
            "warnings": sum(1 for i in issues if i.severity == "warning"),
            **self.plan.counts(),
            "villages": by_village,
            "samples": {
                "add": self.plan.add[:50],
                "change": {kk: self.plan.change[kk] for kk in list(self.plan.change)[:50]},
                "remove": [h.kk for h in self.plan.remove[:50]],
                "held": self.plan.held[:50],
            },
        }


def target_of(scope_code: str) -> tuple[set[str], RegionResolver, str | None]:
    """The villages an import into `scope_code` (a village or a kabupaten) may write."""
    region = db.session.get(Region, scope_code)
    if region is None or region.level not in (2, VILLAGE):
        raise ImportRefused(
            _("Wilayah tujuan impor harus satu desa/kelurahan atau kabupaten/kota.")
        )
    rows = db.session.execute(
        select(Region.code, Region.name, Region.parent_code).where(
            code_range_condition(Region.code, scope_code), Region.level == VILLAGE
        )
    ).all()
    kecamatan_names = dict(
        db.session.execute(
            select(Region.code, Region.name).where(
                Region.code.in_({row.parent_code for row in rows})
            )
        ).all()
    )
    villages = {row.code: (kecamatan_names.get(row.parent_code, ""), row.name) for row in rows}
    single = scope_code if region.level == VILLAGE else None
    return set(villages), RegionResolver(villages), single


def checked_target(scope_code: str) -> tuple[set[str], RegionResolver, str | None, set[str]]:
    """`target_of`, refusing a single village whose meeting is under way; also the busy ones."""
    targets, resolver, single = target_of(scope_code)
    busy = villages_in_meeting(targets)
    if single and single in busy:
        raise ImportRefused(
            _(
                "Desa/kelurahan ini sedang menjalankan musyawarah: prelistnya tidak diubah "
                "sampai berita acaranya dikunci atau musyawarahnya dibatalkan."
            )
        )
    return targets, resolver, single, busy


def villages_in_meeting(codes: set[str]) -> set[str]:
    """Villages whose meeting is under way: their prelist must not move under the meeting."""
    from portal.blueprints.meetings import states
    from portal.blueprints.meetings.models import Meeting

    rows = db.session.execute(
        select(Meeting.village_code).where(Meeting.state.in_(states.PRELIST_FROZEN)).distinct()
    ).scalars()
    return {code for code in rows if code in codes}


def analyse(
    data: bytes,
    scope_code: str,
    *,
    today: date | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Analysis:
    """Read, validate and plan; writes nothing. Raises FileProblem for a file that cannot be
    read at all, ImportRefused for a wrong target."""
    targets, resolver, single, busy = checked_target(scope_code)
    table = read_table(data)
    validated = validate_table(
        table,
        target_codes=targets,
        resolver=resolver,
        today=today or date.today(),
        single_village=single,
        on_progress=on_progress,
        busy_codes=frozenset(busy),
    )
    plan = build_plan(validated, targets, frozenset(busy))
    return Analysis(table, validated, plan)


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


# --- stalled jobs (the worker died) ---------------------------------------------------------


def is_stalled(record: RegisterImport) -> bool:
    """An import whose job has not finished long after it started (or was queued): its worker
    was killed, or none runs. As for the berita acara (`berita_acara.services.is_stalled`)."""
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


def settle_stalled_imports() -> int:
    """Job (periodic): settle every stalled import; how many were."""
    records = db.session.execute(
        select(RegisterImport).where(RegisterImport.status.in_(RUNNING))
    ).scalars()
    settled = sum(settle_stalled(record) for record in list(records))
    db.session.commit()
    return settled


def _plan_counts(summary: dict[str, Any]) -> tuple[int, ...]:
    keys = ("add", "change", "unchanged", "reactivate", "remove", "held", "persons_new")
    return tuple(summary.get(key, -1) for key in keys)


def village_counts(prefix: str) -> dict[str, int]:
    """Active families per village under `prefix`."""
    return dict(
        db.session.execute(
            select(Household.village_code, func.count())
            .where(code_range_condition(Household.village_code, prefix), Household.status == ACTIVE)
            .group_by(Household.village_code)
        ).all()
    )


def search_households(village_code: str, query: str, status: str = ACTIVE):
    """Families of a village matching a name, NIK, KK or RT/RW (a select, for pagination)."""
    stmt = select(Household).where(Household.village_code == village_code)
    if status:
        stmt = stmt.where(Household.status == status)
    query = query.strip()
    if query:
        digits = query.replace(" ", "")
        conditions: list[ColumnElement[bool]] = []
        if digits.isdigit():
            # Ranges, not LIKE: the unique indexes on KK and NIK serve them on both databases.
            upper = digits + ":"  # ':' sorts right after '9'
            conditions.append((Household.kk >= digits) & (Household.kk < upper))
            conditions.append(
                Household.id.in_(
                    select(Person.household_id).where(Person.nik >= digits, Person.nik < upper)
                )
            )
            if len(digits) <= 3:
                conditions.append(Household.rt == digits.zfill(3))
                conditions.append(Household.rw == digits.zfill(3))
        rt_rw = _parse_rt_rw(query)
        if rt_rw:
            rt, rw = rt_rw
            condition = Household.rt == rt
            if rw:
                condition = condition & (Household.rw == rw)
            conditions.append(condition)
        if not digits.isdigit():
            name_part = func.lower(Person.name).contains(query.lower(), autoescape=True)
            conditions.append(
                Household.id.in_(
                    select(Person.household_id)
                    .join(Household, Household.id == Person.household_id)
                    .where(Household.village_code == village_code, name_part)
                )
            )
        stmt = stmt.where(or_(*conditions))
    return stmt.order_by(Household.rw, Household.rt, Household.kk)


def _parse_rt_rw(query: str) -> tuple[str, str | None] | None:
    """'RT 3', 'rt 003/rw 002', '3/2' → ('003', '002')."""
    import re

    match = re.match(
        r"^\s*(?:rt\s*)?(\d{1,3})\s*(?:/|\s+rw\s*|\s*/\s*rw\s*)(\d{1,3})\s*$", query, re.IGNORECASE
    )
    if match:
        return match.group(1).zfill(3), match.group(2).zfill(3)
    match = re.match(r"^\s*rt\s*(\d{1,3})\s*$", query, re.IGNORECASE)
    if match:
        return match.group(1).zfill(3), None
    return None
