"""The kabupaten's meeting rules: quorum, majority and the settings its meetings follow."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from portal import audit
from portal.blueprints.meetings.models import KabupatenRules
from portal.blueprints.meetings.services.common import MeetingError
from portal.extensions import db


def rules_for(kabupaten_code: str) -> KabupatenRules:
    return db.session.get(KabupatenRules, kabupaten_code) or KabupatenRules(
        kabupaten_code=kabupaten_code,
        quorum_num=2,
        quorum_den=3,
        majority_num=1,
        majority_den=2,
        ba_camat_block=True,
        public_transparency=True,
        stale_months=3,
        cycle_last_day=14,
    )


def set_rules(
    kabupaten_code: str,
    *,
    quorum: tuple[int, int],
    majority: tuple[int, int],
    user: Any,
    camat_block: bool | None = None,
    cycle_last_day: int | None = None,
    stale_months: int | None = None,
    public_transparency: bool | None = None,
) -> KabupatenRules:
    """The kabupaten's meeting rules; meetings created afterwards use them."""
    if not (0 < quorum[0] <= quorum[1]):
        raise MeetingError(_("Kuorum harus pecahan antara 0 dan 1, misalnya 2/3."))
    if not (0 < majority[0] < majority[1]):
        raise MeetingError(_("Keputusan suara harus pecahan di bawah 1, misalnya 1/2."))
    if 2 * majority[0] < majority[1]:  # 1/99 let a handful of votes decide for the village
        raise MeetingError(
            _("Keputusan suara sekurang-kurangnya 1/2 dari suara, misalnya 1/2 atau 2/3.")
        )
    rules = db.session.get(KabupatenRules, kabupaten_code)
    before = None
    if rules is None:
        rules = KabupatenRules(kabupaten_code=kabupaten_code)
        db.session.add(rules)
    else:
        before = [rules.quorum_num, rules.quorum_den, rules.majority_num, rules.majority_den]
    rules.quorum_num, rules.quorum_den = quorum
    rules.majority_num, rules.majority_den = majority
    if cycle_last_day is not None and not 1 <= cycle_last_day <= 31:
        raise MeetingError(_("Jendela siklus: isi tanggal 1–31."))
    if stale_months is not None and not 1 <= stale_months <= 24:
        raise MeetingError(_("Batas data beku: isi 1–24 bulan."))
    settings = {
        "ba_camat_block": camat_block,
        "cycle_last_day": cycle_last_day,
        "stale_months": stale_months,
        "public_transparency": public_transparency,
    }
    for name, value in settings.items():
        if value is not None:
            setattr(rules, name, value)
    audit.record(
        "meeting.rules",
        object_type="kabupaten_rules",
        object_id=kabupaten_code,
        region_code=kabupaten_code,
        details={
            "before": before,
            "after": [*quorum, *majority],
            **{name: value for name, value in settings.items() if value is not None},
            "camat_block": camat_block,
        },
    )
    db.session.flush()
    return rules
