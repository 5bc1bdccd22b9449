"""Indonesian wording of the berita acara: dates in words, time zones, region headings.

The berita acara is an Indonesian official document, so day and month names and numbers in
words stay Indonesian whatever the interface language (`num2words(lang="id")`); the labels
around them go through gettext in the templates.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import overload
from zoneinfo import ZoneInfo

from num2words import num2words

from portal.timeutil import as_utc

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

#: Province code (first two digits of a region code) → time zone. WIB: Sumatra, Java,
#: West and Central Kalimantan; WITA: Bali, Nusa Tenggara, the rest of Kalimantan, Sulawesi;
#: WIT: Maluku and Papua.
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT_FIRST_DIGITS = {"8", "9"}


def time_zone(region_code: str) -> str:
    """WIB, WITA or WIT for a region code (village, kecamatan, ... or province); WIB if unknown."""
    province = (region_code or "")[:2]
    if province in _WITA:
        return "WITA"
    if province[:1] in _WIT_FIRST_DIGITS:
        return "WIT"
    return "WIB"


#: The IANA zone of each label (no daylight saving in Indonesia).
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}


def zone_info(region_code: str) -> ZoneInfo:
    """The region's zone as a ZoneInfo: Asia/Jakarta (UTC+7), Asia/Makassar (+8), Asia/Jayapura
    (+9)."""
    return ZoneInfo(ZONES[time_zone(region_code)])


@overload
def local_time(moment: datetime, region_code: str) -> datetime: ...
@overload
def local_time(moment: None, region_code: str) -> None: ...
def local_time(moment: datetime | None, region_code: str) -> datetime | None:
    """A stored (UTC, aware or naive) moment in the region's zone: 16:30 UTC on 31 December is
    23:30 WIB the same day but 00:30 WITA on 1 January."""
    if moment is None:
        return None
    return as_utc(moment).astimezone(zone_info(region_code))


def words(number: int) -> str:
    """A number in Indonesian words: 23 → "dua puluh tiga", 2026 → "dua ribu dua puluh enam"."""
    return num2words(number, lang="id")


def day_name(day: date) -> str:
    return DAYS[day.weekday()]


def month_name(month: int) -> str:
    return MONTHS[month - 1]


def date_in_words(day: date) -> dict[str, str]:
    """The parts of "hari Senin tanggal dua puluh tiga bulan November tahun dua ribu dua puluh
    enam": day (name), date, month, year (in words)."""
    return {
        "day": day_name(day),
        "date": words(day.day),
        "month": month_name(day.month),
        "year": words(day.year),
    }


def long_date(day: date) -> str:
    """23 November 2026."""
    return f"{day.day} {month_name(day.month)} {day.year}"


def clock(hhmm: str | None) -> str | None:
    """ "09:00" → "09.00" (the Indonesian way of writing the time)."""
    if not hhmm:
        return None
    return hhmm.replace(":", ".")


def period_label(period: str | None) -> str | None:
    """ "2026-11" → "November 2026"; anything else as given."""
    if not period:
        return None
    year, _, month = period.partition("-")
    if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
        return f"{month_name(int(month))} {year}"
    return period


def roman(number: int) -> str:
    values = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for value, letters in values:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def kabupaten_heading(name: str | None, code: str) -> str:
    """ "Kabupaten Mukomuko" → "KABUPATEN MUKOMUKO"; a bare name gets KABUPATEN or KOTA from the
    code (kabupaten/kota part 71–99 is a kota)."""
    name = (name or code or "").strip()
    lowered = name.lower()
    if lowered.startswith(("kabupaten", "kota", "kab.")):
        return name.upper()
    part = code[2:4] if len(code) >= 4 else ""
    kind = "KOTA" if part.isdigit() and int(part) >= 71 else "KABUPATEN"
    return f"{kind} {name.upper()}"


def kabupaten_phrase(name: str | None, code: str) -> str:
    """The kabupaten as written inside a sentence: "Kabupaten Mukomuko", "Kota Solok"."""
    heading = kabupaten_heading(name, code)
    raw = (name or code or "").strip()
    if raw.lower().startswith(("kabupaten", "kota", "kab.")):
        return raw
    return f"{heading.split(' ', 1)[0].title()} {raw}"
