"""The decided list as canonical JSON: the bytes whose SHA-256 the berita acara carries.

Format `portal-musyawarah/berita-acara/2` (the README repeats it so anyone can recompute):

- UTF-8 JSON, keys sorted, no insignificant whitespace (`separators=(",", ":")`), non-ASCII
  characters written as themselves (`ensure_ascii=False`), no trailing newline.
- Absent values are `null`; counts are integers; booleans are `true`/`false`; dates are
  `YYYY-MM-DD`, times `HH:MM`.
- Every list has a fixed order: participants by their order of entry (id); families by No. KK;
  members by NIK; field changes by field name.

Top level: `format`, `meeting` (id, number, kind, village/kecamatan/kabupaten code and name,
date, start_time, place, agenda, chair, notulen, period, rules), `attendance` (invited_voters,
present_voters, present, quorum_required, quorum_met, participants), `families` (tetap, keluar,
baru, perbaikan), `rejected` (proposals the meeting did not accept: the family stays) and
`counts` (per category, keluar per reason). Each decided family carries `decision`: method
(mufakat, tally, named, batch), yes/no/abstain and the voters present at the decision.

Format 2 adds what really happened (issue 15); `date` and `start_time` stay the SCHEDULED date
and time. `meeting` gains `scheduled_date` (= `date`), `held_date` (the date the meeting was
opened), `opened_at` and `closed_at` (the times of the "open" and "decide" moves), `closed_date`
(the date of the decision: another day than `held_date` when the meeting ran past midnight) and
`time_zone` (WIB, WITA or WIT): all in the region's zone, from the UTC moments stored; and `bpd`
(the BPD/LPM chair who signs, null when not chosen). `attendance` gains `present_invited_voters`
(invited voters present: the quorum counts only them) and `present_walk_ins` (present without an
invitation). Documents stored in format 1 stay valid and readable: readers use `.get()` for
every key format 2 added.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

FORMAT = "portal-musyawarah/berita-acara/2"


def canonical_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def short_hash(digest: str) -> str:
    """The footer's short form: the first 16 hex digits in groups of four."""
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))
