"""Synthetic rows written as a register export file: CSV, semicolon CSV, pipe text or XLSX.

`write` checks the options and writes the text formats itself; workbooks are `xlsx`'s.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

# The export's columns, in order: the same list the importer reads.
from portal.blueprints.register.reading import COLUMNS
from portal.demo.synthetic.xlsx import write_xlsx_fast, write_xlsx_openpyxl

FORMATS = ("csv", "csv-semicolon", "pipe", "xlsx")
DELIMITERS = {"csv": ",", "csv-semicolon": ";", "pipe": "|"}


def write(
    rows: Iterable[dict[str, str]],
    path: str | Path,
    fmt: str,
    *,
    encoding: str = "utf-8",
    numeric_ids: bool | str = False,
    columns: Sequence[str] = COLUMNS,
    sheet_title: str = "Data",
    engine: str = "fast",
) -> Path:
    """Write rows as `fmt`: "csv" (comma), "csv-semicolon", "pipe" (| delimited text) or
    "xlsx" (one sheet; values as text cells, empty values as no cell). Returns the path.

    `encoding` applies to the text formats ("utf-8", "utf-8-sig", "cp1252", ...).
    `numeric_ids` (xlsx only): nomor_nik and nomor_kk become numeric cells. True stores them
    as a spreadsheet does after converting the column: a double of 15 significant digits, so
    the 16th digit of an id becomes 0 (1706052006850123 → 1706052006850120) and "3.20123E+15"
    becomes 3201230000000000; "exact" stores all-digit values as exact integers.
    `engine` (xlsx only): "fast" streams the sheet XML itself with shared strings, as Excel
    saves (150,000 persons in a few seconds); "openpyxl" uses openpyxl's write-only mode
    (inline strings; about ten times slower).
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if numeric_ids not in (False, True, "exact"):
        raise ValueError("numeric_ids must be False, True or 'exact'")
    columns = tuple(columns)
    if fmt == "xlsx":
        numeric = (
            {i for i, c in enumerate(columns) if c in ("nomor_nik", "nomor_kk")}
            if numeric_ids
            else set()
        )
        exact = numeric_ids == "exact"
        if engine == "fast":
            write_xlsx_fast(rows, path, columns, numeric, exact, sheet_title)
        elif engine == "openpyxl":
            write_xlsx_openpyxl(rows, path, columns, numeric, exact, sheet_title)
        else:
            raise ValueError("engine must be 'fast' or 'openpyxl'")
        return path
    if numeric_ids:
        raise ValueError("numeric_ids applies to xlsx only")
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=DELIMITERS[fmt], lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return path
