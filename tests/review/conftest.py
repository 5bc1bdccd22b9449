"""Fixtures of issue 6's tests: a locked, a confirmed and a returned meeting of Pasar Ipuh, and
users of every role inside and outside its scope.

The meeting (tests.berita_acara.conftest.build_decided) decides every kind: two families leave
(meninggal by consensus, sudah_mampu by tally), one is corrected (RT → 007), one new family with
two members is added, one removal (pindah) is rejected; the other FAMILIES - 4 families stay.
"""

from __future__ import annotations

from typing import Any

import pytest

from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.review import services as review
from portal.blueprints.review.models import MeetingReview
from portal.blueprints.users.models import User
from portal.extensions import db
from tests.berita_acara.conftest import KK_NEW, NIK_NEW_CHILD, NIK_NEW_HEAD, build_decided, lock
from tests.factories import (
    DESA_AIR_BULUH,
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    KEC_IPUH,
    KEC_KOTA_MUKOMUKO,
    KEL_PASAR_MUKOMUKO,
    KOTA_SOLOK,
    make_user,
)
from tests.meetings.conftest import FAMILIES, register, sekretaris  # noqa: F401  (fixtures)

__all__ = ["EXPECTED", "FAMILIES", "KK_NEW", "NIK_NEW_CHILD", "NIK_NEW_HEAD"]

# What the meeting of build_decided decides (over the FAMILIES families of Pasar Ipuh).
EXPECTED = {
    "tetap": FAMILIES - 4 + 1,  # the family whose removal was rejected stays
    "keluar": 2,
    "keluar_by_reason": {"meninggal": 1, "sudah_mampu": 1},
    "baru": 1,
    "perbaikan": 1,
    "families": FAMILIES,  # tetap + keluar + perbaikan: the prelist
    "entry_total": FAMILIES + 1,  # every decided family, the new one included
}


@pytest.fixture
def users(regions: None, sekretaris: User) -> dict[str, User]:
    """Every role covering Pasar Ipuh, and `other_*` users whose scope does not cover it."""
    return {
        "admin": make_user("admin", KAB_MUKOMUKO),
        "sekretaris": sekretaris,
        "camat": make_user("camat", KEC_IPUH),
        "operator": make_user("operator", DESA_PASAR_IPUH),
        "operator_kecamatan": make_user("operator", KEC_IPUH),
        "other_admin": make_user("admin", KOTA_SOLOK),
        "other_sekretaris": make_user("sekretaris", DESA_AIR_BULUH),
        "other_camat": make_user("camat", KEC_KOTA_MUKOMUKO),
        "other_operator": make_user("operator", KEL_PASAR_MUKOMUKO),
    }


def build_locked(
    user: User, households: list[Any], *, real_pdf: bool, **kw: Any
) -> tuple[Meeting, BeritaAcara]:
    """build_decided's meeting, locked with the real or the cheap PDF (tests/factories.py)."""
    meeting = build_decided(user, households, **kw)
    ba = lock(meeting, user, real_pdf=real_pdf)
    assert ba.status == "done", ba.error
    return db.session.get(Meeting, meeting.id), ba


@pytest.fixture
def locked(
    users: dict[str, User], register: list[Any], real_pdf: bool
) -> tuple[Meeting, BeritaAcara]:
    """The real PDF for a test marked `real_pdf`, else the cheap one."""
    return build_locked(users["sekretaris"], register, real_pdf=real_pdf)


def confirm(meeting: Meeting, camat: User, note: str | None = None) -> MeetingReview:
    result = review.confirm(meeting, user=camat, note=note)
    db.session.commit()
    return result


@pytest.fixture
def confirmed(
    locked: tuple[Meeting, BeritaAcara], users: dict[str, User]
) -> tuple[Meeting, MeetingReview]:
    meeting, _ = locked
    result = confirm(meeting, users["camat"])
    db.session.expire_all()
    return db.session.get(Meeting, meeting.id), db.session.get(MeetingReview, result.id)


@pytest.fixture
def returned(
    locked: tuple[Meeting, BeritaAcara], users: dict[str, User]
) -> tuple[Meeting, MeetingReview]:
    meeting, _ = locked
    result = review.return_meeting(
        meeting, user=users["camat"], note="Daftar hadir tidak sesuai dengan foto kegiatan."
    )
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Meeting, meeting.id), db.session.get(MeetingReview, result.id)
