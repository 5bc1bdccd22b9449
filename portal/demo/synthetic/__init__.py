"""Synthetic register (DTKS/DTSEN) export files: one row per person, families consecutive.

Used by the tests, the demo seed and the benchmarks. Pure Python (no database, no app), and
deterministic: the same villages, options and seed give the same rows on every run and
platform (only `random.Random` seeded with ints or strings is used).

    rows, damages = generate(villages, families_per_village=50, seed=1,
                             damage={"nik_short": 3, "nik_duplicate": 2})
    write(rows, tmp_path / "export.xlsx", "xlsx")

Every value is a string. `damage` spoils a given number of rows, one way per row, and the
returned `Damage` list says which row, how and in which column; the other rows are exactly the
rows the same call without `damage` gives (the damage uses its own random stream).

One module per idea; callers use the names below (`synthetic.generate`, `synthetic.write`):

- `villages`: the villages rows are made for (`Village`), from regions or made up
- `names`: given and family names, birth towns, streets, dusun
- `dates`: the fixed reference date and ages counted back from it
- `families`: the generator of families and persons (`generate`)
- `damage`: rows spoiled on purpose, and a NIK column zeroed as a spreadsheet does
- `writing`: the file formats (`write`), text formats written there
- `xlsx`: workbooks, streamed as Excel saves them or through openpyxl
"""

from portal.blueprints.register.reading import COLUMNS
from portal.demo.synthetic.damage import DAMAGE_COLUMNS, DAMAGE_KINDS, Damage, zero_last_digit
from portal.demo.synthetic.dates import REFERENCE_DATE
from portal.demo.synthetic.families import generate
from portal.demo.synthetic.villages import Village, synthetic_villages, villages_from_regions
from portal.demo.synthetic.writing import DELIMITERS, FORMATS, write

__all__ = [
    "COLUMNS",
    "DAMAGE_COLUMNS",
    "DAMAGE_KINDS",
    "DELIMITERS",
    "FORMATS",
    "REFERENCE_DATE",
    "Damage",
    "Village",
    "generate",
    "synthetic_villages",
    "villages_from_regions",
    "write",
    "zero_last_digit",
]
