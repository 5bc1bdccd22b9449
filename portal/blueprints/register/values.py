"""One cell of a register file read as what it means: NIK and No. KK, dates, sex, flags, desil,
RT/RW, the relation to the head, and the village a row belongs to.

Each parser takes a cell as the file gives it (text, or a spreadsheet's number or date) and
returns the value, or says why it cannot be one in words a village secretary understands.
The meeting's services check a NIK typed by hand with the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from flask_babel import gettext as _

_DIGITS = re.compile(r"^\d+$", re.ASCII)
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE][+]?\d+$")
_DECIMAL = re.compile(r"^\d+[.,]\d*$", re.ASCII)
_FORMULA_PREFIX = ("=", "+", "-", "@", "\t", "\r")

RELATIONS = {
    "1": "KEPALA KELUARGA",
    "2": "SUAMI",
    "3": "ISTRI",
    "4": "ANAK",
    "5": "MENANTU",
    "6": "CUCU",
    "7": "ORANG TUA",
    "8": "MERTUA",
    "9": "FAMILI LAIN",
    "10": "LAINNYA",
}
HEAD = "KEPALA KELUARGA"


@dataclass
class RegionResolver:
    """Which village a row belongs to: by its code, else by kecamatan and village names."""

    villages: dict[str, tuple[str, str]]  # code → (kecamatan name, village name)
    by_names: dict[tuple[str, str], str] = field(default_factory=dict)
    by_village_name: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code, (kecamatan, village) in self.villages.items():
            self.by_names[(_norm(kecamatan), _norm(village))] = code
            self.by_village_name.setdefault(_norm(village), []).append(code)

    def resolve(self, code_cell: Any, kecamatan: Any, village: Any) -> str | None:
        code = re.sub(r"[.\s]", "", text(code_cell))
        if code:
            return code
        by_pair = self.by_names.get((_norm(kecamatan), _norm(village)))
        if by_pair:
            return by_pair
        candidates = self.by_village_name.get(_norm(village), [])
        return candidates[0] if len(candidates) == 1 else None


def _norm(value: Any) -> str:
    value = re.sub(r"^(desa|kelurahan|kecamatan|kec\.?|kel\.?)\s+", "", text(value).lower())
    return re.sub(r"\s+", " ", value).strip()


def text(value: Any) -> str:
    """A cell as text, with spreadsheet neutralising undone (`'=x` → `=x`)."""
    if value.__class__ is not str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value)
    result = value.strip()
    if result[:1] == "'" and result[1:2] in _FORMULA_PREFIX and len(result) > 1:
        result = result[1:]
    return result


def parse_identity_number(value: Any, label: str) -> tuple[str | None, str | None]:
    """(16 digits, None) or (None, reason). `label` is NIK or No. KK."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float):
        return None, _(
            "%(label)s tersimpan sebagai angka di spreadsheet (%(value)s): angka 16 digit "
            "kehilangan digit terakhirnya. Format kolom sebagai Teks lalu ketik ulang.",
            label=label,
            value=f"{value:.6g}" if isinstance(value, float) else str(value),
        )
    # Digits grouped by spaces (also the no-break spaces of a copied web page) are one number.
    raw = "".join(text(value).split()).lstrip("'")
    if not raw:
        return None, _("%(label)s kosong.", label=label)
    if _SCIENTIFIC.match(raw):
        return None, _(
            "%(label)s tertulis sebagai notasi ilmiah (%(value)s): spreadsheet menyimpannya "
            "sebagai angka dan digit terakhir hilang. Format kolom sebagai Teks lalu ketik ulang.",
            label=label,
            value=raw[:20],
        )
    if _DECIMAL.match(raw):
        return None, _(
            "%(label)s tertulis sebagai angka desimal (%(value)s): nilai ini tidak dapat "
            "dipercaya. Format kolom sebagai Teks lalu ketik ulang.",
            label=label,
            value=raw[:24],
        )
    if not _DIGITS.match(raw):
        return None, _("%(label)s hanya boleh berisi angka.", label=label)
    if len(raw) != 16:
        return None, _("%(label)s harus 16 digit (berisi %(n)d digit).", label=label, n=len(raw))
    if raw.endswith("0000"):
        return None, _(
            "Nomor urut %(label)s 0000 tidak mungkin: digit terakhirnya kemungkinan hilang "
            "karena spreadsheet.",
            label=label,
        )
    return raw, None


def nik_date_problem(nik: str) -> str | None:
    """The birth date digits (DDMMYY, day + 40 for women) must be possible."""
    day, month = int(nik[6:8]), int(nik[8:10])
    if day > 40:
        day -= 40
    if not 1 <= month <= 12:
        return _("Bulan lahir dalam NIK (digit 9–10) tidak mungkin: %(m)s.", m=nik[8:10])
    if not 1 <= day <= 31 or not _possible_day(day, month):
        return _(
            "Tanggal lahir dalam NIK (digit 7–8) tidak mungkin: %(d)s (1–31 untuk laki-laki, "
            "41–71 untuk perempuan).",
            d=nik[6:8],
        )
    return None


def _possible_day(day: int, month: int) -> bool:
    try:
        date(2000, month, day)  # a leap year: 29 February is possible
    except ValueError:
        return False
    return True


def nik_birth(nik: str) -> tuple[str, int, int, int]:
    """(sex, day, month, two-digit year) encoded in a valid NIK."""
    day = int(nik[6:8])
    sex = "P" if day > 40 else "L"
    return sex, day - 40 if day > 40 else day, int(nik[8:10]), int(nik[10:12])


def parse_date(value: Any) -> date | str | None:
    """A date, None when empty, or the string 'invalid'."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 1 < value < 80000:  # an Excel serial day number
        return date(1899, 12, 30) + timedelta(days=int(value))
    raw = text(value)
    if len(raw) == 10 and raw[4] == "-":
        try:
            return date.fromisoformat(raw)  # the export's own format: the fast path
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return "invalid"


def parse_sex(value: Any) -> str | Literal[False] | None:
    raw = text(value).upper()
    if not raw:
        return None
    if raw in ("L", "LK", "LAKI-LAKI", "LAKI LAKI", "LAKI", "1", "M"):
        return "L"
    if raw in ("P", "PR", "PEREMPUAN", "WANITA", "2", "F"):
        return "P"
    return False


def parse_flag(value: Any) -> bool:
    return text(value).upper() in ("YA", "Y", "1", "TRUE", "YES", "V", "ADA")


def parse_desil(value: Any) -> int | bool | None:
    raw = text(value)
    if not raw:
        return None
    if raw.isdigit() and 1 <= int(raw) <= 10:
        return int(raw)
    return False


def padded(value: Any) -> str | None:
    """RT/RW as three digits ("1" → "001", "0012" → "012"); other text as written. Never cut:
    a value longer than three is the validator's to refuse."""
    raw = text(value)
    if not raw:
        return None
    return raw.lstrip("0").zfill(3) if raw.isascii() and raw.isdigit() else raw
