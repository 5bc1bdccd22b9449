"""Regions import: a CSV `kode,nama` (dotted or plain codes) into the hierarchy.

All or nothing by default: a file with a malformed line writes nothing and every bad line is
reported with its number. `skip_invalid=True` imports the good lines and still reports the bad.
Idempotent: a re-import of the same file adds and changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, update

from portal import audit
from portal.blueprints.regions.models import (
    LEVEL_BY_LENGTH,
    PROVINCE,
    VILLAGE,
    Region,
    parent_code_of,
)
from portal.extensions import db

# ASCII digits only: `\d` alone also matches other scripts' digits (Arabic-Indic, full-width).
_DOTTED = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$", re.ASCII)
_PLAIN = re.compile(r"^(\d{2}|\d{4}|\d{6}|\d{10})$", re.ASCII)
# A line break or other control character in a name is a stray quote that swallowed lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME = 200


@dataclass
class RegionRow:
    line: int
    code: str
    name: str


@dataclass
class RegionImportReport:
    lines: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def normalise_code(raw: str) -> str | None:
    """Plain digits for a well-formed dotted or plain code, else None."""
    raw = raw.strip()
    if _DOTTED.match(raw):
        return raw.replace(".", "")
    if _PLAIN.match(raw):
        return raw
    return None


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, the two encodings these files come in."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_region_csv(text: str) -> tuple[list[RegionRow], list[tuple[int, str]]]:
    """Rows and (line number, reason) errors. Checks each line alone and duplicates in the file."""
    rows: list[RegionRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, RegionRow] = {}
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    # A quoted field may span lines, so a record's line is where the previous one ended, plus one.
    line_end = 0
    for index, fields in enumerate(reader):
        line, line_end = line_end + 1, reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if index == 0 and fields[0].strip().lower().lstrip("\ufeff") in {"kode", "code"}:
            continue
        if len(fields) != 2:
            errors.append((line, _("harus 2 kolom (kode,nama), ditemukan %(n)d", n=len(fields))))
            continue
        raw_code, name = fields[0].strip(), fields[1].strip()
        code = normalise_code(raw_code)
        if code is None:
            errors.append((line, _("kode wilayah tidak sah: '%(code)s'", code=raw_code[:30])))
            continue
        if LEVEL_BY_LENGTH[len(code)] == VILLAGE and code[6] not in "123":
            errors.append(
                (
                    line,
                    _(
                        "kode desa/kelurahan '%(code)s' harus diawali 1 (kelurahan), "
                        "2 (desa) atau 3 (desa adat) pada bagian keempat",
                        code=raw_code,
                    ),
                )
            )
            continue
        if not name:
            errors.append((line, _("nama wilayah kosong")))
            continue
        if _CONTROL.search(name):
            errors.append(
                (
                    line,
                    _(
                        "nama wilayah memuat baris baru atau karakter kendali; "
                        "periksa tanda kutip yang tidak ditutup"
                    ),
                )
            )
            continue
        if len(name) > MAX_NAME:
            errors.append((line, _("nama wilayah lebih dari %(n)d karakter", n=MAX_NAME)))
            continue
        previous = seen.get(code)
        if previous is not None:
            if previous.name != name:
                errors.append(
                    (
                        line,
                        _(
                            "kode %(code)s sudah ada di baris %(other)d dengan nama lain",
                            code=raw_code,
                            other=previous.line,
                        ),
                    )
                )
            continue
        row = RegionRow(line, code, name)
        seen[code] = row
        rows.append(row)
    return rows, errors


def import_regions(
    source: str | Path | IO[bytes] | bytes, *, skip_invalid: bool = False
) -> RegionImportReport:
    """Import a regions CSV; flushes, never commits (the caller commits once)."""
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | Path):
        data = Path(source).read_bytes()
    else:
        data = source.read()
    text = decode(data)
    rows, errors = parse_region_csv(text)
    report = RegionImportReport(lines=text.count("\n") + (0 if text.endswith("\n") else 1))

    existing = {
        code: (name, parent)
        for code, name, parent in db.session.execute(
            db.select(Region.code, Region.name, Region.parent_code)
        )
    }
    file_codes = {row.code for row in rows}
    valid: list[RegionRow] = []
    for row in rows:
        parent = parent_code_of(row.code)
        if parent is not None and parent not in file_codes and parent not in existing:
            errors.append(
                (
                    row.line,
                    _(
                        "induk wilayah %(parent)s tidak ada di berkas maupun di basis data",
                        parent=parent,
                    ),
                )
            )
            continue
        valid.append(row)
    # A row whose ancestor was refused must be refused too, or the insert breaks its FK.
    valid_codes = {row.code for row in valid}
    kept: list[RegionRow] = []
    for row in sorted(valid, key=lambda r: len(r.code)):
        parent = parent_code_of(row.code)
        if parent is None or parent in existing or parent in valid_codes:
            kept.append(row)
        else:
            valid_codes.discard(row.code)
            errors.append((row.line, _("induk wilayah %(parent)s ditolak", parent=parent)))
    report.errors = sorted(errors)
    if report.errors and not skip_invalid:
        return report

    new_rows = []
    changed_rows = []
    for row in kept:
        old = existing.get(row.code)
        if old is None:
            new_rows.append(
                {
                    "code": row.code,
                    "name": row.name,
                    "level": LEVEL_BY_LENGTH[len(row.code)],
                    "parent_code": parent_code_of(row.code),
                }
            )
        elif old[0] != row.name:
            changed_rows.append({"b_code": row.code, "b_name": row.name})
        else:
            report.unchanged += 1
    # Parents before children: sort by level (kept is already sorted by code length).
    for start in range(0, len(new_rows), 5000):
        db.session.execute(insert(Region.__table__), new_rows[start : start + 5000])
    if changed_rows:
        stmt = (
            update(Region.__table__)
            .where(Region.__table__.c.code == bindparam("b_code"))
            .values(name=bindparam("b_name"))
        )
        db.session.execute(stmt, changed_rows)
    report.added = len(new_rows)
    report.changed = len(changed_rows)
    report.written = bool(new_rows or changed_rows)
    if report.written:
        audit.record(
            "regions.import",
            object_type="region",
            details={
                "added": report.added,
                "changed": report.changed,
                "unchanged": report.unchanged,
                "rejected": len(report.errors),
            },
        )
    db.session.flush()
    return report


def regions_in_scope(prefix: str, levels: tuple[int, ...]) -> list[Region]:
    """The regions of the given levels under `prefix` (itself included), ordered by code."""
    from portal.access import code_range_condition

    return list(
        db.session.execute(
            db.select(Region)
            .where(code_range_condition(Region.code, prefix), Region.level.in_(levels))
            .order_by(Region.code)
        ).scalars()
    )


def children(region: Region, query: str = "") -> list[Region]:
    stmt = db.select(Region).where(Region.parent_code == region.code).order_by(Region.code)
    if query:
        stmt = stmt.where(func.lower(Region.name).contains(query.lower(), autoescape=True))
    return list(db.session.execute(stmt).scalars())


__all__ = [
    "PROVINCE",
    "RegionImportReport",
    "children",
    "import_regions",
    "normalise_code",
    "parse_region_csv",
    "regions_in_scope",
]
