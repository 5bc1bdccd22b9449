"""Proposals: a family removed (keluar), corrected (perbaikan) or added (baru), with photo
evidence; withdrawn or marked disputed while proposals are open."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import (
    PROPOSERS,
    REMOVAL_REASONS,
    Meeting,
    Proposal,
    ProposalPhoto,
    Vote,
)
from portal.blueprints.meetings.services.common import (
    MeetingError,
    audit_meeting,
    flush_versioned,
    require_state,
)
from portal.blueprints.meetings.services.decisions import named_vote_under_way
from portal.blueprints.meetings.services.families import (
    claims_elsewhere,
    decided_elsewhere_message,
    prelist,
)
from portal.blueprints.meetings.services.reopening import has_corrections
from portal.blueprints.register.models import ACTIVE, Household, Person
from portal.blueprints.register.values import nik_date_problem, padded, parse_identity_number
from portal.extensions import db


def add_removal(
    meeting: Meeting,
    household: Household,
    *,
    reason: str,
    reason_text: str | None,
    proposer: str,
    proposer_name: str | None,
    note: str | None,
    user: Any,
) -> Proposal:
    require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    if reason not in REMOVAL_REASONS:
        raise MeetingError(_("Pilih alasan keluar."), "reason")
    if reason == "lainnya" and not (reason_text or "").strip():
        raise MeetingError(_("Tuliskan alasan lainnya."), "reason_text")
    return _new_proposal(
        meeting,
        household,
        "keluar",
        user=user,
        reason=reason,
        reason_text=(reason_text or "").strip() or None,
        proposer=proposer,
        proposer_name=proposer_name,
        note=note,
    )


CORRECTABLE = ("alamat", "dusun", "rt", "rw")


def add_correction(
    meeting: Meeting,
    household: Household,
    *,
    changes: dict[str, str],
    remove_members: list[str],
    proposer: str,
    proposer_name: str | None,
    note: str | None,
    user: Any,
    add_members: list[dict[str, str]] | None = None,
) -> Proposal:
    """Perbaikan: field changes shown before → after, members removed (by NIK) or added."""
    require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    # RT/RW as the import keeps them: "2" is RT 002.
    proposed = {
        name: (padded(value) or "") if name in ("rt", "rw") else value.strip()
        for name, value in changes.items()
        if name in CORRECTABLE and value is not None
    }
    diff = {
        name: [getattr(household, name), value]
        for name, value in proposed.items()
        if value != (getattr(household, name) or "")
    }
    member_niks = {m.nik for m in household.members}
    gone = [nik for nik in remove_members if nik in member_niks]
    added = _clean_members(add_members or [], field="new_members")
    _check_not_proposed(meeting, added, field="new_members")
    if not diff and not gone and not added:
        raise MeetingError(_("Tidak ada perubahan yang diusulkan."))
    details = {"fields": diff, "members_removed": gone, "members_added": added}
    return _new_proposal(
        meeting,
        household,
        "perbaikan",
        user=user,
        details=details,
        proposer=proposer,
        proposer_name=proposer_name,
        note=note,
    )


def _clean_members(members: list[dict[str, str]], *, field: str) -> list[dict[str, Any]]:
    """New members, validated like imported rows: NIK structure, not twice, not in the register."""
    clean = []
    seen: set[str] = set()
    for member in members:
        nik, problem = parse_identity_number(member.get("nik", ""), "NIK")
        problem = problem or (nik and nik_date_problem(nik))
        if problem:
            raise MeetingError(problem, field)
        assert nik is not None  # a number whenever there is no problem
        if nik in seen:
            raise MeetingError(_("NIK yang sama tercantum dua kali."), field)
        if db.session.execute(select(Person.id).where(Person.nik == nik)).first():
            raise MeetingError(_("NIK %(nik)s sudah terdaftar di register.", nik=nik), field)
        name = (member.get("name") or "").strip()
        if not name:
            raise MeetingError(_("Nama anggota wajib diisi."), field)
        seen.add(nik)
        clean.append(
            {
                "nik": nik,
                "name": name,
                "relation": (member.get("relation") or "").strip().upper() or None,
            }
        )
    return clean


def _proposed_details(meeting: Meeting) -> list[dict[str, Any] | None]:
    return list(
        db.session.execute(
            select(Proposal.details).where(
                Proposal.meeting_id == meeting.id, Proposal.kind.in_(("baru", "perbaikan"))
            )
        ).scalars()
    )


def _check_not_proposed(meeting: Meeting, members: list[dict[str, Any]], *, field: str) -> None:
    """Within one meeting, as within one import file, a new person is proposed once."""
    if not members:
        return
    taken = {
        m["nik"]
        for details in _proposed_details(meeting)
        for m in (details or {}).get("members", []) + (details or {}).get("members_added", [])
    }
    for member in members:
        if member["nik"] in taken:
            raise MeetingError(
                _(
                    "NIK %(nik)s sudah tercantum di usulan lain dalam musyawarah ini.",
                    nik=member["nik"],
                ),
                field,
            )


def parse_member_lines(text: str) -> list[dict[str, str]]:
    """Lines `NIK; nama; hubungan` as typed into the proposal forms."""
    members = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        members.append(
            {
                "nik": parts[0],
                "name": parts[1] if len(parts) > 1 else "",
                "relation": parts[2] if len(parts) > 2 else "",
            }
        )
    return members


def add_new_family(
    meeting: Meeting,
    *,
    kk: str,
    alamat: str | None,
    rt: str | None,
    rw: str | None,
    members: list[dict[str, str]],
    proposer: str,
    proposer_name: str | None,
    note: str | None,
    user: Any,
) -> Proposal:
    """Usulan baru: a family with its members, validated like an imported row."""
    require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    value, problem = parse_identity_number(kk, "No. KK")
    if problem:
        raise MeetingError(problem, "kk")
    if db.session.execute(select(Household.id).where(Household.kk == value)).first():
        raise MeetingError(_("No. KK ini sudah ada di register."), "kk")
    if not members:
        raise MeetingError(_("Isi minimal satu anggota keluarga."), "members")
    if any((d or {}).get("kk") == value for d in _proposed_details(meeting)):
        raise MeetingError(_("Keluarga ini sudah memiliki usulan di musyawarah ini."), "kk")
    clean = _clean_members(members, field="members")
    _check_not_proposed(meeting, clean, field="members")
    details = {"kk": value, "alamat": alamat, "rt": padded(rt), "rw": padded(rw), "members": clean}
    return _new_proposal(
        meeting,
        None,
        "baru",
        user=user,
        details=details,
        proposer=proposer,
        proposer_name=proposer_name,
        note=note,
    )


PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
PHOTO_MAX = 5 * 1024 * 1024


def attach_photo(proposal: Proposal, data: bytes) -> None:
    """Photo evidence: JPEG or PNG by content (not by name), at most 5 MB."""
    if not data:
        return
    if len(data) > PHOTO_MAX:
        raise MeetingError(_("Foto terlalu besar (maksimal 5 MB)."), "photo")
    mimetype = next((m for magic, m in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if mimetype is None:
        raise MeetingError(_("Foto harus berformat JPEG atau PNG."), "photo")
    existing = db.session.get(ProposalPhoto, proposal.id)
    if existing is None:
        db.session.add(ProposalPhoto(proposal_id=proposal.id, mimetype=mimetype, content=data))
    else:
        existing.mimetype, existing.content = mimetype, data
    proposal.has_photo = True
    db.session.flush()


def _new_proposal(
    meeting: Meeting, household: Household | None, kind: str, *, user: Any, **values: Any
) -> Proposal:
    if household is not None and household.village_code != meeting.village_code:
        raise MeetingError(_("Keluarga ini bukan dari desa/kelurahan musyawarah ini."))
    if household is not None and household.status != ACTIVE:  # not on the prelist
        raise MeetingError(_("Keluarga ini tidak aktif di register."))
    on_prelist = (
        household is None
        or db.session.execute(prelist(meeting).where(Household.id == household.id)).first()
    )
    if not on_prelist:  # removed by another locked meeting: it would vanish from the lists
        raise MeetingError(
            _("Keluarga ini sudah dikeluarkan oleh musyawarah lain yang sudah dikunci.")
        )
    if household is not None:
        other = claims_elsewhere(meeting, [household.id]).get(household.id)
        if other is not None:
            raise MeetingError(decided_elsewhere_message(other))
    if values.get("proposer") not in PROPOSERS:
        raise MeetingError(_("Pilih siapa yang mengusulkan."), "proposer")
    proposal = Proposal(
        meeting_id=meeting.id,
        household_id=household.id if household else None,
        kind=kind,
        created_by=user.id,
        **values,
    )
    db.session.add(proposal)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise MeetingError(_("Keluarga ini sudah memiliki usulan di musyawarah ini.")) from error
    audit_meeting(meeting, "meeting.proposal_add", {"proposal": proposal.id, "kind": kind})
    return proposal


def withdraw_proposal(meeting: Meeting, proposal: Proposal, *, user: Any) -> None:
    require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    if proposal.status != "open":
        raise MeetingError(_("Usulan yang sudah diputuskan tidak dapat ditarik."))
    if db.session.execute(select(Vote.id).where(Vote.proposal_id == proposal.id)).first():
        raise MeetingError(_("Usulan yang sudah dipilih tidak dapat ditarik."))
    if has_corrections(proposal):  # the correction stays on the record, with its proposal
        raise MeetingError(_("Usulan yang keputusannya pernah dikoreksi tidak dapat ditarik."))
    db.session.delete(proposal)
    audit_meeting(meeting, "meeting.proposal_withdraw", {"proposal": proposal.id})
    db.session.flush()


def set_disputed(meeting: Meeting, proposal: Proposal, disputed: bool, *, user: Any) -> None:
    require_state(meeting, states.PROPOSALS_OPEN, _("Usulan"))
    if proposal.status != "open":
        raise MeetingError(_("Usulan ini sudah diputuskan."))
    if proposal.vote_mode == "named" and not disputed:
        raise MeetingError(named_vote_under_way())
    before = proposal.disputed
    proposal.disputed = disputed
    flush_versioned()
    if before != disputed:
        audit_meeting(
            meeting, "meeting.proposal_disputed", {"proposal": proposal.id, "disputed": disputed}
        )
