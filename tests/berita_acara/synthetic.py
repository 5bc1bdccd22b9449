"""Synthetic canonical decided lists (format portal-musyawarah/berita-acara/1) for the rendering
tests and `bench/ba_render.py`: no database, deterministic for the same arguments.

    doc = synthetic_document(tetap=1600, keluar=250, baru=80, perbaikan=70, participants=40)
    data = canonical_bytes(doc)
"""

from __future__ import annotations

import random
from typing import Any

from portal.blueprints.berita_acara.canonical import FORMAT

FIRST = (
    "Siti",
    "Budi",
    "Ahmad",
    "Nur",
    "Rina",
    "Muhammad",
    "Dewi",
    "Agus",
    "Sri",
    "Joko",
    "Yanti",
    "Hendra",
    "Wati",
    "Rahmat",
    "Fitri",
    "Dedi",
    "Ani",
    "Bambang",
    "Lestari",
    "Eko",
    "Putri",
    "Slamet",
    "Nurhayati",
    "Rizky",
    "Ayu",
    "Hasan",
    "Kartini",
    "Imam",
    "Suparmi",
    "Yusuf",
)
LAST = (
    "Aminah",
    "Santoso",
    "Fauzi",
    "Hasanah",
    "Marlina",
    "Pratama",
    "Lestari",
    "Saputra",
    "Wahyuni",
    "Hidayat",
    "Susanti",
    "Kurniawan",
    "Rahayu",
    "Setiawan",
    "Handayani",
    "Nasution",
    "Siregar",
    "Harahap",
    "Simanjuntak",
    "Wibowo",
    "Syahputra",
    "Anggraini",
    "Maharani",
)
RELATIONS = ("Kepala Keluarga", "Istri", "Anak", "Anak", "Anak", "Orang Tua", "Cucu")
REASONS = ("sudah_mampu", "meninggal", "pindah", "ganda", "tidak_ditemukan", "lainnya")
METHODS = ("mufakat", "mufakat", "mufakat", "tally", "named", "batch")
UNSUR = (
    "rt_rw",
    "tokoh_masyarakat",
    "tokoh_agama",
    "pkk",
    "pendamping_pkh",
    "tksk",
    "psm",
    "pendamping_desa",
    "perwakilan_keluarga_miskin",
    "lainnya",
)


def _name(rng: random.Random, long: bool = False) -> str:
    parts = [rng.choice(FIRST), rng.choice(LAST)]
    if long or rng.random() < 0.15:
        parts.insert(1, rng.choice(FIRST))
    if long:
        parts += ["binti", rng.choice(FIRST), rng.choice(LAST)]
    return " ".join(parts).upper()


def _nik(rng: random.Random, region: str, serial: int, woman: bool = False) -> str:
    day = rng.randint(1, 28) + (40 if woman else 0)
    month, year = rng.randint(1, 12), rng.randint(40, 99)
    return f"{region[:6]}{day:02d}{month:02d}{year:02d}{serial % 10000:04d}"


def _decision(rng: random.Random, voters: int) -> dict[str, Any]:
    method = rng.choice(METHODS)
    if method == "mufakat":
        return {"method": method, "yes": voters, "no": 0, "abstain": 0, "voters": voters}
    no = rng.randint(0, voters // 3)
    abstain = rng.randint(0, 2)
    return {
        "method": method,
        "yes": voters - no - abstain,
        "no": no,
        "abstain": abstain,
        "voters": voters,
    }


def synthetic_document(
    *,
    tetap: int = 30,
    keluar: int = 6,
    baru: int = 3,
    perbaikan: int = 3,
    rejected: int = 2,
    participants: int = 12,
    village_code: str = "1706052006",
    village_name: str = "Pasar Ipuh",
    kind: str | None = None,
    seed: int = 7,
    long_names: int = 0,
    extra_participants: list[dict[str, Any]] | None = None,
    meeting: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A decided list with the given number of families per category. `long_names` heads get a
    long name (wrapping in the list columns)."""
    rng = random.Random(seed)
    kind = kind or ("muskel" if village_code[6:7] == "1" else "musdes")
    rt = lambda: f"{rng.randint(1, 12):03d}"  # noqa: E731
    rw = lambda: f"{rng.randint(1, 4):03d}"  # noqa: E731
    serial = iter(range(1, 10**7))
    kk_serial = iter(range(1, 10**7))

    def kk() -> str:
        day, month = rng.randint(10, 28), rng.randint(1, 12)
        return f"{village_code[:6]}{day:02d}{month:02d}{next(kk_serial):06d}"

    people = [
        {"name": "Suharto", "unsur": "kepala_desa", "position": "Kepala Desa", "votes": True},
        {"name": "Hj. Rosmawati", "unsur": "bpd_lpm", "position": "Ketua BPD", "votes": True},
        {"name": "Rina Marlina", "unsur": "notulen", "position": "Sekretaris Desa", "votes": False},
    ]
    for i in range(max(0, participants - len(people))):
        unsur = UNSUR[i % len(UNSUR)]
        people.append(
            {
                "name": _name(rng).title(),
                "unsur": unsur,
                "position": f"Ketua RT {i % 12 + 1:03d}" if unsur == "rt_rw" else None,
                "votes": unsur not in ("pendamping_pkh", "tksk", "pendamping_desa"),
            }
        )
    people += extra_participants or []
    roster = []
    for i, p in enumerate(people):
        roster.append(
            {
                "name": p["name"],
                "unsur": p["unsur"],
                "position": p.get("position"),
                "votes": p.get("votes", True),
                "present": p.get("present", i % 9 != 5),
                "walk_in": p.get("walk_in", i == len(people) - 1 and i > 3),
            }
        )
    invited_voters = sum(1 for p in roster if p["votes"] and not p["walk_in"])
    present_voters = sum(1 for p in roster if p["votes"] and p["present"])
    voters = max(present_voters, 1)

    def head(long: bool = False) -> tuple[str, str]:
        return _nik(rng, village_code, next(serial)), _name(rng, long)

    long_left = long_names
    families: dict[str, list[dict[str, Any]]] = {
        "tetap": [],
        "keluar": [],
        "baru": [],
        "perbaikan": [],
    }
    for _i in range(tetap):
        long = long_left > 0
        long_left -= 1
        nik, name = head(long)
        families["tetap"].append(
            {
                "kk": kk(),
                "head_nik": nik,
                "head_name": name,
                "rt": rt(),
                "rw": rw(),
                "members": rng.randint(1, 7),
            }
        )
    for _i in range(keluar):
        nik, name = head(long_left > 0)
        long_left -= 1
        reason = rng.choice(REASONS)
        families["keluar"].append(
            {
                "kk": kk(),
                "head_nik": nik,
                "head_name": name,
                "rt": rt(),
                "rw": rw(),
                "members": rng.randint(1, 6),
                "reason": reason,
                "reason_text": "Pindah ke luar provinsi bersama keluarga"
                if reason == "lainnya"
                else None,
                "decision": _decision(rng, voters),
            }
        )
    for _i in range(baru):
        members = []
        for j in range(rng.randint(2, 6)):
            members.append(
                {
                    "nik": _nik(rng, village_code, next(serial), woman=j == 1),
                    "name": _name(rng),
                    "relation": RELATIONS[min(j, len(RELATIONS) - 1)],
                }
            )
        members.sort(key=lambda m: m["nik"])
        head_member = next(m for m in members if m["relation"] == "Kepala Keluarga")
        families["baru"].append(
            {
                "kk": kk(),
                "head_nik": head_member["nik"],
                "head_name": head_member["name"],
                "rt": rt(),
                "rw": rw(),
                "alamat": f"Jl. Lintas Barat Gg. Mawar No. {rng.randint(1, 99)}",
                "members": members,
                "decision": _decision(rng, voters),
            }
        )
    for i in range(perbaikan):
        nik, name = head()
        changes = []
        if i % 3 == 0:
            changes.append(
                {"field": "alamat", "before": "Jl. Pasar Lama", "after": "Jl. Pasar Baru No. 12"}
            )
        if i % 2 == 0:
            changes.append({"field": "rt", "before": "001", "after": "003"})
        added = (
            [{"nik": _nik(rng, village_code, next(serial)), "name": _name(rng), "relation": "Anak"}]
            if i % 3 == 1
            else []
        )
        removed = (
            [{"nik": _nik(rng, village_code, next(serial)), "name": _name(rng)}]
            if i % 4 == 2
            else []
        )
        families["perbaikan"].append(
            {
                "kk": kk(),
                "head_nik": nik,
                "head_name": name,
                "rt": rt(),
                "rw": rw(),
                "members": 3,
                "changes": changes,
                "members_added": added,
                "members_removed": removed,
                "decision": _decision(rng, voters),
            }
        )
    for rows in families.values():
        rows.sort(key=lambda row: row["kk"])
    rejected_rows = [
        {
            "kind": ("keluar", "baru", "perbaikan")[i % 3],
            "kk": kk(),
            "head_name": _name(rng),
            "decision": {
                "method": "tally",
                "yes": 2,
                "no": voters - 2,
                "abstain": 0,
                "voters": voters,
            },
        }
        for i in range(rejected)
    ]
    rejected_rows.sort(key=lambda row: (row["kk"], row["kind"]))
    by_reason: dict[str, int] = {}
    for row in families["keluar"]:
        by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + 1
    base_meeting = {
        "id": 7,
        "number": "005/BA-MD/XI/2026",
        "kind": kind,
        "village_code": village_code,
        "village_name": village_name,
        "kecamatan_code": village_code[:6],
        "kecamatan_name": "Ipuh",
        "kabupaten_code": village_code[:4],
        "kabupaten_name": "Kabupaten Mukomuko",
        "province_name": "Bengkulu",
        "date": "2026-11-23",
        "start_time": "09:00",
        "place": f"Balai Desa {village_name}",
        "agenda": None,
        "chair": "Suharto",
        "notulen": "Rina Marlina",
        "period": "2026-11",
        "rules": {"quorum": "2/3", "majority": "1/2"},
        "camat_block": True,
    }
    base_meeting.update(meeting or {})
    quorum_required = -(-invited_voters * 2 // 3)
    return {
        "format": FORMAT,
        "meeting": base_meeting,
        "attendance": {
            "invited_voters": invited_voters,
            "present_voters": present_voters,
            "present": sum(1 for p in roster if p["present"]),
            "quorum_required": quorum_required,
            "quorum_met": present_voters >= quorum_required,
            "participants": roster,
        },
        "families": families,
        "rejected": rejected_rows,
        "counts": {
            "families": tetap + keluar + perbaikan,
            "tetap": tetap,
            "keluar": keluar,
            "keluar_by_reason": by_reason,
            "baru": baru,
            "perbaikan": perbaikan,
            "rejected": rejected,
        },
    }
