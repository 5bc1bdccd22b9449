"""From validated rows to a plan: which families are added, changed, unchanged, removed or held.

The plan is computed the same way for the preview and for the confirmed import, against what the
database holds at that moment, so a confirmed import does exactly what a fresh preview shows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.blueprints.register.models import ACTIVE, REMOVED, Household, Person
from portal.blueprints.register.validated import Issue, PersonRow, Validated
from portal.blueprints.register.values import HEAD
from portal.bulk import in_chunks
from portal.extensions import db
from portal.personal_data import mask_id

HOUSEHOLD_FIELDS = (
    "village_code",
    "iddtks",
    "alamat",
    "dusun",
    "rt",
    "rw",
    "pkh",
    "bpnt",
    "pbi",
    "desil",
)
PERSON_FIELDS = ("name", "sex", "birth_place", "birth_date", "mother_name", "relation", "position")


@dataclass
class FamilyPlan:
    kk: str
    village_code: str
    fields: dict[str, Any]
    members: list[PersonRow]


@dataclass
class ExistingPerson:
    id: int
    household_id: int
    fields: dict[str, Any]


@dataclass
class ExistingHousehold:
    id: int
    kk: str
    status: str
    fields: dict[str, Any]
    members: dict[str, ExistingPerson] = field(default_factory=dict)  # by NIK


@dataclass
class Plan:
    families: dict[str, FamilyPlan]
    existing: dict[str, ExistingHousehold]  # by KK: the file's families that exist already
    add: list[str] = field(default_factory=list)
    change: dict[str, dict[str, Any]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    reactivate: list[str] = field(default_factory=list)
    remove: list[ExistingHousehold] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    moved_persons: dict[str, ExistingPerson] = field(default_factory=dict)  # NIK → from elsewhere
    covered_villages: set[str] = field(default_factory=set)
    issues: list[Issue] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        persons_new = sum(
            1
            for kk in self.add
            for member in self.families[kk].members
            if member.nik not in self.moved_persons
        )
        return {
            "families_in_file": len(self.families),
            "add": len(self.add),
            "change": len(self.change),
            "unchanged": len(self.unchanged),
            "reactivate": len(self.reactivate),
            "remove": len(self.remove),
            "held": len(self.held),
            "persons_in_file": sum(len(f.members) for f in self.families.values()),
            "persons_new": persons_new,
        }


def group_families(rows: list[PersonRow]) -> dict[str, FamilyPlan]:
    grouped: dict[str, list[PersonRow]] = defaultdict(list)
    for person in rows:
        grouped[person.kk].append(person)
    families = {}
    for kk, members in grouped.items():
        head = next((m for m in members if m.relation == HEAD), members[0])
        families[kk] = FamilyPlan(
            kk=kk,
            village_code=head.village_code,
            fields={
                "village_code": head.village_code,
                "iddtks": head.iddtks,
                "alamat": head.alamat,
                "dusun": head.dusun,
                "rt": head.rt,
                "rw": head.rw,
                "pkh": head.pkh,
                "bpnt": head.bpnt,
                "pbi": head.pbi,
                "desil": head.desil,
            },
            members=members,
        )
    return families


def person_fields(member: PersonRow, position: int) -> dict[str, Any]:
    return {
        "name": member.name,
        "sex": member.sex,
        "birth_place": member.birth_place,
        "birth_date": member.birth_date,
        "mother_name": member.mother_name,
        "relation": member.relation,
        "position": position,
    }


def _load_households(condition: Any) -> dict[str, ExistingHousehold]:
    columns = [Household.id, Household.kk, Household.status] + [
        getattr(Household, name) for name in HOUSEHOLD_FIELDS
    ]
    found: dict[str, ExistingHousehold] = {}
    for row in db.session.execute(select(*columns).where(condition)):
        found[row.kk] = ExistingHousehold(
            id=row.id,
            kk=row.kk,
            status=row.status,
            fields={name: getattr(row, name) for name in HOUSEHOLD_FIELDS},
        )
    return found


def _load_members(households: dict[str, ExistingHousehold]) -> None:
    by_id = {h.id: h for h in households.values()}
    columns = [Person.id, Person.household_id, Person.nik] + [
        getattr(Person, name) for name in PERSON_FIELDS
    ]
    for condition in in_chunks(Person.household_id, list(by_id)):
        for row in db.session.execute(select(*columns).where(condition)):
            by_id[row.household_id].members[row.nik] = ExistingPerson(
                id=row.id,
                household_id=row.household_id,
                fields={name: getattr(row, name) for name in PERSON_FIELDS},
            )


def build_plan(
    validated: Validated, target_codes: set[str], frozen: frozenset[str] = frozenset()
) -> Plan:
    """`frozen`: villages whose meeting is under way; no family or member leaves them now."""
    issues: list[Issue] = []
    families = group_families(validated.rows)
    covered = {family.village_code for family in families.values()}

    # What the database holds: every family of the covered villages, and every family elsewhere
    # that shares a KK with the file.
    existing = _load_households(Household.village_code.in_(covered)) if covered else {}
    outside_kks = [kk for kk in families if kk not in existing]
    for condition in in_chunks(Household.kk, outside_kks):
        existing.update(_load_households(condition))
    _load_members(existing)

    # A KK already registered in a village this import may not touch.
    for kk, family in list(families.items()):
        holder = existing.get(kk)
        holder_village = holder.fields["village_code"] if holder else None
        if holder and (holder_village not in target_codes or holder_village in frozen):
            if holder_village in frozen:
                message = _(
                    "No. KK ini terdaftar di %(code)s yang sedang menjalankan musyawarah; "
                    "keluarganya tidak dipindahkan sampai berita acaranya dikunci.",
                    code=holder_village,
                )
            else:
                # Outside what this import may touch, hence maybe outside the importer's scope:
                # nothing of that region is named (issue 16.4).
                message = _(
                    "No. KK ini sudah terdaftar di wilayah lain; pindah antarwilayah diputuskan "
                    "oleh wilayah asal atau oleh admin dinas sosial kabupaten."
                )
            for member in family.members:
                issues.append(Issue(member.row, "nomor_kk", message))
            validated.rejected_ids.add(kk)
            del families[kk]

    # NIKs of the file that the database has in another family.
    nik_home: dict[str, tuple[ExistingPerson, str, str, str]] = {}
    file_niks = [m.nik for f in families.values() for m in f.members]
    known = {nik for h in existing.values() for nik in h.members}
    for condition in in_chunks(Person.nik, [nik for nik in file_niks if nik not in known]):
        for row in db.session.execute(
            select(
                Person.id,
                Person.household_id,
                Person.nik,
                Household.kk,
                Household.status,
                Household.village_code,
                *[getattr(Person, n) for n in PERSON_FIELDS],
            )
            .join(Household, Household.id == Person.household_id)
            .where(condition)
        ):
            person = ExistingPerson(
                row.id, row.household_id, {n: getattr(row, n) for n in PERSON_FIELDS}
            )
            nik_home[row.nik] = (person, row.kk, row.status, row.village_code)
    for household in existing.values():
        for nik, person in household.members.items():
            nik_home[nik] = (
                person,
                household.kk,
                household.status,
                household.fields["village_code"],
            )

    plan = Plan(families={}, existing={}, covered_villages=covered, issues=issues)
    for kk, family in families.items():
        conflict = False
        for member in family.members:
            home = nik_home.get(member.nik)
            if home is None or home[1] == kk:
                continue
            other_kk, other_status, other_village = home[1], home[2], home[3]
            # A family of a covered village that the file no longer lists is removed by this
            # same plan: its members may move like those of a family the file rewrites.
            leaving = other_status == ACTIVE and other_village in covered
            if other_village not in frozen and (
                other_kk in families or other_status == REMOVED or leaving
            ):
                plan.moved_persons[member.nik] = home[0]  # leaves a family the file rewrites
                continue
            if other_village in target_codes:  # a village of this import: in the scope
                message = _(
                    "NIK ini sudah terdaftar pada keluarga lain (No. KK %(kk)s, wilayah "
                    "%(code)s). Selesaikan dulu di keluarga itu.",
                    kk=mask_id(other_kk),
                    code=other_village,
                )
            else:  # nothing of another region is named (issue 16.4)
                message = _(
                    "NIK ini sudah terdaftar di wilayah lain. Admin dinas sosial kabupaten "
                    "menyelesaikannya."
                )
            issues.append(Issue(member.row, "nomor_nik", message))
            conflict = True
        if conflict:
            validated.rejected_ids.add(kk)
            plan.held.append(kk)
            continue
        plan.families[kk] = family

    held_households = set()
    for household in existing.values():
        if household.kk in validated.rejected_ids or any(
            nik in validated.rejected_ids for nik in household.members
        ):
            held_households.add(household.kk)
    for kk in list(plan.families):
        family = plan.families[kk]
        # A held family keeps its members: a family that would take one of them waits too.
        takes_from_held = any(
            (home := nik_home.get(m.nik)) is not None
            and home[1] != kk
            and home[1] in held_households
            for m in family.members
        )
        if kk in held_households or kk in validated.rejected_ids or takes_from_held:
            plan.held.append(kk)
            del plan.families[kk]
    plan.moved_persons = {
        nik: person
        for nik, person in plan.moved_persons.items()
        if any(nik in (m.nik for m in f.members) for f in plan.families.values())
    }
    plan.held = sorted(set(plan.held))

    for kk, family in plan.families.items():
        holder = existing.get(kk)
        if holder is None:
            plan.add.append(kk)
            continue
        plan.existing[kk] = holder
        diff = _family_diff(holder, family, plan.moved_persons)
        if holder.status == REMOVED:
            plan.reactivate.append(kk)
            plan.change[kk] = diff
        elif diff:
            plan.change[kk] = diff
        else:
            plan.unchanged.append(kk)

    for household in existing.values():
        if (
            household.kk not in families
            and household.kk not in held_households
            and household.status == ACTIVE
            and household.fields["village_code"] in covered
        ):
            plan.remove.append(household)
    plan.issues.sort(key=lambda i: i.row)
    return plan


def _family_diff(
    holder: ExistingHousehold, family: FamilyPlan, moved: dict[str, ExistingPerson]
) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    fields = {
        name: [holder.fields[name], family.fields[name]]
        for name in HOUSEHOLD_FIELDS
        if holder.fields[name] != family.fields[name]
    }
    if fields:
        diff["fields"] = _jsonable(fields)
    file_niks = [m.nik for m in family.members]
    added = [nik for nik in file_niks if nik not in holder.members]
    removed = [nik for nik in holder.members if nik not in file_niks]
    changed = {}
    for position, member in enumerate(family.members):
        current = holder.members.get(member.nik)
        if current is None:
            continue
        wanted = person_fields(member, position)
        delta = {
            n: [current.fields[n], wanted[n]]
            for n in PERSON_FIELDS
            if current.fields[n] != wanted[n]
        }
        if delta:
            changed[member.nik] = _jsonable(delta)
    if added:
        diff["members_added"] = added
    if removed:
        diff["members_removed"] = removed
    if changed:
        diff["members_changed"] = changed
    return diff


def _jsonable(values: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        key: [v.isoformat() if isinstance(v, date) else v for v in pair]
        for key, pair in values.items()
    }
