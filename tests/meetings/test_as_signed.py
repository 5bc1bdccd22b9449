"""A page about a locked meeting shows what was signed, not the register as it stands now."""

from __future__ import annotations

import json
import re

from sqlalchemy import update

from portal.blueprints.register.models import ACTIVE, REMOVED, Household
from portal.extensions import db
from tests.berita_acara.conftest import decided, locked  # noqa: F401  (fixtures)


def _tetap_count(html: str) -> int:
    match = re.search(r'<span class="num">(\d+)</span>\s*tetap', html)
    assert match, html
    return int(match.group(1))


def test_a_locked_meetings_pages_read_the_signed_list(client, auth, locked, sekretaris):
    meeting, ba = locked
    signed = json.loads(ba.canonical)
    kept = signed["families"]["tetap"]
    assert len(kept) >= 3
    # The register moves on after the lock: three families that stayed leave it.
    gone = [row["kk"] for row in kept[:3]]
    db.session.execute(
        update(Household)
        .where(Household.kk.in_(gone), Household.status == ACTIVE)
        .values(status=REMOVED, removed_reason="pindah")
    )
    db.session.commit()

    auth.login_as(sekretaris)
    page = client.get(f"/musyawarah/{meeting.id}").get_data(as_text=True)
    assert _tetap_count(page) == signed["counts"]["tetap"]

    listed = client.get(f"/musyawarah/{meeting.id}/keputusan").get_data(as_text=True)
    assert "berita acara yang ditandatangani" in listed
    assert f"Tetap ({signed['counts']['tetap']})" in listed
    assert f"Keluar dari register ({signed['counts']['keluar']})" in listed
    for row in kept[:3]:
        assert row["head_name"] in listed


def test_before_the_lock_the_pages_count_the_live_prelist(client, auth, decided, sekretaris):
    auth.login_as(sekretaris)
    page = client.get(f"/musyawarah/{decided.id}").get_data(as_text=True)
    before = _tetap_count(page)
    listed = client.get(f"/musyawarah/{decided.id}/keputusan").get_data(as_text=True)
    assert f"Tetap ({before})" in listed
    assert "berita acara yang ditandatangani" not in listed
