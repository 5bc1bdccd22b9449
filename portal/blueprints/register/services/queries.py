"""The register read: active families per village, and a village's families searched."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select

from portal.access import code_range_condition
from portal.blueprints.register.models import ACTIVE, Household, Person
from portal.extensions import db


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
