"""What an import would do: its target villages, and the file read, validated and planned.

`analyse` writes nothing: the preview and the applied import both call it on the stored file,
so what was shown is what is done. `ImportRefused` is the import's refusal, in words for the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.access import code_range_condition
from portal.blueprints.regions.models import VILLAGE, Region
from portal.blueprints.register.freeze import frozen_villages
from portal.blueprints.register.planning import Plan, build_plan
from portal.blueprints.register.reading import Table, read_table
from portal.blueprints.register.validated import Validated
from portal.blueprints.register.validation import validate_table
from portal.blueprints.register.values import RegionResolver
from portal.extensions import db
from portal.refusal import Refused


class ImportRefused(Refused):
    """The import's target is refused (out of scope, or its village is in a meeting)."""


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
    """Villages whose meeting is under way: their prelist must not move under the meeting
    (the meetings area answers, through `register.freeze`)."""
    return frozen_villages(codes)


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
