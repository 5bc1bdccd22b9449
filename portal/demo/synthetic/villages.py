"""The villages a synthetic register is made for: from the portal's regions, or made up.

`Village` carries what every row repeats (code, village, kecamatan, kabupaten, province names).
`villages_from_regions` takes region objects, `Village`s or plain tuples; `synthetic_villages`
makes up many villages of Kabupaten Mukomuko for benchmarks and tests.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Village:
    code: str  # 10 digits, plain
    name: str
    kecamatan: str
    kabupaten: str
    provinsi: str

    @property
    def kecamatan_code(self) -> str:
        return self.code[:6]


def _plain(code: Any) -> str:
    return str(code).replace(".", "").strip()


def villages_from_regions(regions: Iterable[Any]) -> list[Village]:
    """Villages from region objects (`.code`, `.name` and a `.parent` chain, or `ancestors()`
    giving province, kabupaten, kecamatan), from `Village`s, or from plain tuples
    `(code, name, kecamatan, kabupaten, provinsi)`. Regions above the village level are
    skipped; dotted codes are accepted."""
    out: list[Village] = []
    for region in regions:
        if isinstance(region, Village):
            out.append(region)
            continue
        if isinstance(region, tuple | list):
            code, name, kecamatan, kabupaten, provinsi = region
            out.append(Village(_plain(code), str(name), str(kecamatan), str(kabupaten), provinsi))
            continue
        code = _plain(region.code)
        if len(code) != 10:
            continue
        if hasattr(region, "ancestors"):
            chain = list(region.ancestors())
        else:
            chain = []
            node = getattr(region, "parent", None)
            while node is not None:
                chain.append(node)
                node = getattr(node, "parent", None)
            chain.reverse()
        if len(chain) != 3:
            raise ValueError(f"village {code} needs province, kabupaten and kecamatan parents")
        provinsi, kabupaten, kecamatan = (r.name for r in chain)
        out.append(Village(code, region.name, kecamatan, kabupaten, provinsi))
    return out


KECAMATAN_NAMES = (
    "Kota Mukomuko", "Ipuh", "Lubuk Pinang", "Teras Terunjam", "Pondok Suguh", "Selagan Raya",
    "Penarik", "Teramang Jaya", "Sungai Rumbai", "XIV Koto", "V Koto", "Air Manjuto",
    "Air Rami", "Malin Deman", "Air Dikit",
)  # fmt: skip
_VILLAGE_PREFIX = ("Air", "Pasar", "Pulau", "Sungai", "Tanjung", "Lubuk", "Bandar", "Talang")
_VILLAGE_SUFFIX = (
    "Buluh", "Baru", "Jaya", "Makmur", "Indah", "Mulya", "Sakti", "Harapan", "Rejo", "Ratu",
    "Gedang", "Pinang", "Bungur", "Kasai",
)  # fmt: skip


def synthetic_villages(count: int, *, kecamatan: int = 15, seed: int = 0) -> list[Village]:
    """`count` made-up villages of Kabupaten Mukomuko (code 17.06), spread over up to
    `kecamatan` kecamatan (at most 15): for benchmarks and tests needing many villages."""
    if not 1 <= kecamatan <= len(KECAMATAN_NAMES):
        raise ValueError(f"kecamatan must be within 1..{len(KECAMATAN_NAMES)}")
    rng = random.Random(f"villages-{seed}")
    out: list[Village] = []
    for i in range(count):
        k = i % kecamatan
        number = i // kecamatan
        kind = "1" if number == 0 and k == 0 else "2"  # one kelurahan, the rest desa
        code = f"1706{k + 1:02d}{kind}{number + 1:03d}"
        name = f"{rng.choice(_VILLAGE_PREFIX)} {rng.choice(_VILLAGE_SUFFIX)}"
        out.append(Village(code, name, KECAMATAN_NAMES[k], "Kabupaten Mukomuko", "Bengkulu"))
    return out
