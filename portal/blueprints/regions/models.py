"""Regions: province → kabupaten/kota → kecamatan → desa/kelurahan, keyed by Kemendagri code.

Codes are stored plain (digits only: 2, 4, 6 or 10 long); the dotted form is for display. The
code alone says the level and, for a village, its kind: the first digit of the village part is
1 for a kelurahan (which holds a muskel) and 2 for a desa (which holds a musdes).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model, db

CODE_LENGTHS = {1: 2, 2: 4, 3: 6, 4: 10}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}

PROVINCE, KABUPATEN, KECAMATAN, VILLAGE = 1, 2, 3, 4


def dotted(code: str) -> str:
    """`1706052001` → `17.06.05.2001`."""
    parts = [code[0:2], code[2:4], code[4:6], code[6:10]]
    return ".".join(p for p in parts if p)


def parent_code_of(code: str) -> str | None:
    level = LEVEL_BY_LENGTH[len(code)]
    return None if level == PROVINCE else code[: CODE_LENGTHS[level - 1]]


def village_kind(code: str) -> str:
    """'kelurahan' or 'desa' from the first digit of the village part: 1 kelurahan, 2 desa,
    3 desa adat (Kepmendagri 2025 codes some customary villages of Papua so; a desa adat holds
    a musdes like any desa)."""
    return "kelurahan" if code[6] == "1" else "desa"


KIND_LABELS = {
    "kabupaten": _l("Kabupaten"),
    "kota": _l("Kota"),
    "kecamatan": _l("Kecamatan"),
    "desa": _l("Desa"),
    "kelurahan": _l("Kelurahan"),
}


def has_kind_prefix(name: str) -> bool:
    """A kabupaten/kota name that already says which it is ("Kabupaten Mukomuko", "Kota Solok",
    "Kab. Mukomuko"), as `berita_acara.wording.kabupaten_heading` reads it."""
    return name.strip().lower().startswith(("kabupaten", "kota", "kab."))


class Region(Model):
    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint(
            "(level = 1 AND length(code) = 2) OR (level = 2 AND length(code) = 4) OR "
            "(level = 3 AND length(code) = 6) OR (level = 4 AND length(code) = 10)",
            name="level_matches_code",
        ),
        CheckConstraint("(level = 1) = (parent_code IS NULL)", name="parent_unless_province"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(
        String(10), ForeignKey("regions.code"), index=True
    )

    parent: Mapped[Region | None] = relationship(remote_side=[code], lazy="joined", join_depth=3)

    __scope_column__ = "code"

    @property
    def dotted_code(self) -> str:
        return dotted(self.code)

    @property
    def is_village(self) -> bool:
        return self.level == VILLAGE

    @property
    def kind(self) -> str:
        """provinsi, kabupaten, kota, kecamatan, desa or kelurahan."""
        if self.level == PROVINCE:
            return "provinsi"
        if self.level == KABUPATEN:
            return "kota" if int(self.code[2:4]) >= 71 else "kabupaten"
        if self.level == KECAMATAN:
            return "kecamatan"
        return village_kind(self.code)

    @property
    def display_name(self) -> str:
        """The name as a heading writes it: "Kecamatan Ipuh", "Desa Pasar Ipuh". A kabupaten/kota
        whose name already carries its kind keeps it ("Kota Solok", not "Kota Kota Solok"); a
        province is its name."""
        if self.level == PROVINCE:
            return self.name
        if self.level == KABUPATEN and has_kind_prefix(self.name):
            return self.name
        return f"{KIND_LABELS[self.kind]} {self.name}"

    @property
    def is_desa_adat(self) -> bool:
        return self.is_village and self.code[6] == "3"

    @property
    def meeting_kind(self) -> str | None:
        """musdes for a desa, muskel for a kelurahan, None above the village."""
        if not self.is_village:
            return None
        return "muskel" if self.kind == "kelurahan" else "musdes"

    def ancestors(self) -> list[Region]:
        """From the province down to the parent."""
        chain: list[Region] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def __repr__(self) -> str:
        return f"<Region {self.dotted_code} {self.name}>"


def count_children_by_level(prefix: str) -> dict[int, int]:
    """How many regions of each level lie under `prefix` (itself excluded)."""
    from portal.access import code_range_condition

    rows = db.session.execute(
        db.select(Region.level, func.count())
        .where(code_range_condition(Region.code, prefix), Region.code != prefix)
        .group_by(Region.level)
    ).all()
    return {level: count for level, count in rows}
