"""What validation hands to planning: the rows kept, the problems found, the ids held.

`PersonRow` is one person's row as it will be stored, `Issue` one problem with a row (an error
rejects the row, a warning does not), `Validated` the whole result of a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass
class Issue:
    row: int
    column: str | None
    message: str
    severity: str = "error"  # or "warning"

    def as_list(self) -> list[Any]:
        return [self.row, self.column, self.message, self.severity]


@dataclass(slots=True)
class PersonRow:
    row: int
    village_code: str
    kk: str
    nik: str
    name: str
    sex: str | None = None
    birth_place: str | None = None
    birth_date: date | None = None
    mother_name: str | None = None
    relation: str | None = None
    alamat: str | None = None
    dusun: str | None = None
    rt: str | None = None
    rw: str | None = None
    iddtks: str | None = None
    pkh: bool = False
    bpnt: bool = False
    pbi: bool = False
    desil: int | None = None


@dataclass
class Validated:
    rows: list[PersonRow]
    issues: list[Issue]
    rejected_ids: set[str]  # NIKs and KKs seen on rejected rows (their families are held)
    total_rows: int
