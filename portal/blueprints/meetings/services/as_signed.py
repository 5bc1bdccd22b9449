"""What a page shows about a meeting: for a sealed meeting, what was signed.

Once the berita acara is locked, the register moves on (the camat's confirmation applies the
decisions; later imports change families), so counting the live register would no longer give
what the signed PDF states. For a sealed meeting every count and list on the meeting's pages is
read from the canonical decided list behind the hash (`berita_acara.canonical`); before the lock
they are the live ones, in the same shape, so one template serves both.
"""

from __future__ import annotations

import json
from typing import Any

from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.meetings.services import participants, results


def signed_document(meeting: Meeting) -> dict[str, Any] | None:
    """The canonical decided list of a sealed meeting's berita acara; None before the lock."""
    if meeting.state not in states.SEALED:
        return None
    ba = meeting.berita_acara  # through the model: this area sits below the berita acara's
    return json.loads(ba.canonical) if ba is not None and ba.done and ba.canonical else None


def summary(meeting: Meeting, document: dict[str, Any] | None = None) -> results.Summary:
    """The meeting's at-a-glance counts: from the signed list once sealed, else live."""
    document = document or signed_document(meeting)
    if document is None:
        return results.summary(meeting)
    people = document["attendance"]["participants"]
    invited = [p for p in people if not p["walk_in"]]
    attendance = participants.Attendance(
        invited=len(invited),
        invited_voters=document["attendance"]["invited_voters"],
        present=document["attendance"]["present"],
        present_invited_voters=sum(1 for p in invited if p["votes"] and p["present"]),
        present_voters=document["attendance"]["present_voters"],
        quorum_needed=document["attendance"]["quorum_required"],
        quorum=document["attendance"]["quorum_met"],
    )
    counts = document["counts"]
    decided = counts["keluar"] + counts["baru"] + counts["perbaikan"] + counts["rejected"]
    return results.Summary(
        attendance=attendance,
        families=counts["families"],
        proposals=decided,
        decided=decided,
        open=0,
        tetap=counts["tetap"],
        keluar_by_reason=dict(counts["keluar_by_reason"]),
        baru=counts["baru"],
        perbaikan=counts["perbaikan"],
    )


def decided_lists(meeting: Meeting) -> tuple[dict[str, list[dict[str, Any]]], bool]:
    """(families by category as rows of the canonical format, whether they are the signed
    ones). Rows: kk, head_name, and per category reason/reason_text, changes, members."""
    document = signed_document(meeting)
    if document is not None:
        return document["families"], True
    live = results.decided_list(meeting)

    def family(household: Any) -> dict[str, Any]:
        head = household.head
        return {"kk": household.kk, "head_name": head.name if head else None}

    rows: dict[str, list[dict[str, Any]]] = {"tetap": [], "keluar": [], "baru": [], "perbaikan": []}
    rows["tetap"] = [family(household) for household in live["tetap"]]
    for household, proposal in live["keluar"]:
        rows["keluar"].append(
            {**family(household), "reason": proposal.reason, "reason_text": proposal.reason_text}
        )
    for household, proposal in live["perbaikan"]:
        details = proposal.details or {}
        rows["perbaikan"].append(
            {
                **family(household),
                "changes": [
                    {"field": name, "before": pair[0], "after": pair[1]}
                    for name, pair in sorted((details.get("fields") or {}).items())
                ],
                "members_removed": [{"nik": nik} for nik in details.get("members_removed", [])],
                "members_added": details.get("members_added", []),
            }
        )
    for proposal in live["baru"]:
        details = proposal.details or {}
        members = details.get("members", [])
        rows["baru"].append(
            {
                "kk": details.get("kk"),
                "head_name": members[0]["name"] if members else None,
                "members": members,
            }
        )
    return rows, False
