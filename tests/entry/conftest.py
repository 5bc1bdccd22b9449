"""Fixtures of the SIKS-NG entry tests: issue 6's confirmed meeting of Pasar Ipuh (tests/review),
a logged-in operator, and helpers to read what the operator's pages and the database hold."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.blueprints.entry.models import EntryMark
from portal.blueprints.register.models import Household
from portal.blueprints.users.models import User
from portal.extensions import db
from tests.review.conftest import (  # noqa: F401  (fixtures)
    EXPECTED,
    build_locked,
    confirm,
    confirmed,
    locked,
    register,
    returned,
    sekretaris,
    users,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def operator(auth, users: dict[str, User]) -> User:
    auth.login_as(users["operator"])
    return users["operator"]


def household_id(kk: str) -> int:
    return db.session.execute(select(Household.id).where(Household.kk == kk)).scalar_one()


def row_ids(html: str) -> list[int]:
    """The household ids of the family rows shown on a page or fragment."""
    return [int(n) for n in re.findall(r'<tr id="keluarga-(\d+)"', html)]


def marks(meeting_id: int) -> dict[int, EntryMark]:
    db.session.expire_all()
    return {
        m.household_id: m
        for m in db.session.execute(
            select(EntryMark).where(EntryMark.meeting_id == meeting_id)
        ).scalars()
    }


def audit_entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).scalars()
    )


def decided_kks(meeting: Any) -> dict[str, list[str]]:
    """The No. KK of every decided family, by category, from the berita acara."""
    import json

    from portal.blueprints.berita_acara import services as ba_services

    document = json.loads(ba_services.of_meeting(meeting.id).canonical)
    return {c: [row["kk"] for row in rows] for c, rows in document["families"].items()}
