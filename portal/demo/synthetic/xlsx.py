"""Synthetic rows written as an XLSX workbook, as a spreadsheet program saves one.

Two engines: `write_xlsx_fast` streams a minimal SpreadsheetML package itself, text in a
shared-string table as Excel saves it (150,000 persons in a few seconds); `write_xlsx_openpyxl`
uses openpyxl's write-only mode (inline strings; about ten times slower). Both can store
nomor_nik and nomor_kk as numbers, as a spreadsheet does after converting the column.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _as_spreadsheet_number(value: str, exact: bool) -> int | float | str | None:
    """What a spreadsheet that converted the text to a number would store."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    digits = value.removesuffix(".0")
    if digits.isdigit():
        if exact:
            return int(digits)
        # Excel keeps 15 significant digits and turns the ones after them to 0.
        digits = digits.lstrip("0") or "0"
        return float(digits[:15] + "0" * (len(digits) - 15) if len(digits) > 15 else digits)
    return float(f"{number:.15g}")


def write_xlsx_openpyxl(
    rows: Iterable[dict[str, str]],
    path: Path,
    columns: tuple[str, ...],
    numeric: set[int],
    exact: bool,
    sheet_title: str,
) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title)
    ws.append(list(columns))
    for row in rows:
        values: list[Any] = [row.get(c, "") or None for c in columns]
        for i in numeric:
            if values[i] is not None:
                values[i] = _as_spreadsheet_number(values[i], exact)
        ws.append(values)
    wb.save(path)


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# XML 1.0 forbids most control characters; & < > must be escaped in text.
_XML_TEXT = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        **{chr(c): None for c in range(32) if chr(c) not in "\t\n\r"},
    }
)


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _spreadsheet_number_text(value: str, exact: bool) -> str | None:
    number = _as_spreadsheet_number(value, exact)
    if number is None or isinstance(number, str):
        return None
    if isinstance(number, int):
        return str(number)
    return f"{number:.15G}"  # as Excel writes a double: 3.20123456789012E+15


def write_xlsx_fast(
    rows: Iterable[dict[str, str]],
    path: Path,
    columns: tuple[str, ...],
    numeric: set[int],
    exact: bool,
    sheet_title: str,
) -> None:
    """A minimal, valid SpreadsheetML package streamed with zipfile: one worksheet whose
    text cells point into a shared-string table, as Excel itself saves."""
    rows = rows if isinstance(rows, list) else list(rows)
    letters = [_column_letter(i) for i in range(len(columns))]
    strings: dict[str, int] = {}
    count = 0

    def string_index(value: str) -> int:
        index = strings.get(value)
        if index is None:
            index = strings[value] = len(strings)
        return index

    last = f"{letters[-1]}{len(rows) + 1}" if letters else "A1"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=5) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(
                (
                    f'{_XML_DECL}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                    f'<dimension ref="A1:{last}"/><sheetData>'
                ).encode()
            )
            header = "".join(
                f'<c r="{letter}1" t="s"><v>{string_index(c)}</v></c>'
                for letter, c in zip(letters, columns, strict=True)
            )
            count += len(columns)
            chunk = [f'<row r="1">{header}</row>']
            specs = [(letters[i], c, i in numeric) for i, c in enumerate(columns)]
            for r, row in enumerate(rows, start=2):
                cells = []
                for letter, column, as_number in specs:
                    value = row.get(column, "")
                    if not value:
                        continue  # an empty value is no cell
                    if as_number:
                        text = _spreadsheet_number_text(value, exact)
                        if text is not None:
                            cells.append(f'<c r="{letter}{r}"><v>{text}</v></c>')
                            continue
                    index = strings.get(value)
                    if index is None:
                        index = strings[value] = len(strings)
                    cells.append(f'<c r="{letter}{r}" t="s"><v>{index}</v></c>')
                    count += 1
                chunk.append(f'<row r="{r}">{"".join(cells)}</row>')
                if len(chunk) >= 2000:
                    fh.write("".join(chunk).encode())
                    chunk = []
            chunk.append("</sheetData></worksheet>")
            fh.write("".join(chunk).encode())
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(
                f'{_XML_DECL}<sst xmlns="{_MAIN_NS}" count="{count}" '
                f'uniqueCount="{len(strings)}">'.encode()
            )
            parts = []
            for value in strings:  # insertion order is index order
                text = value.translate(_XML_TEXT)
                if text != text.strip():
                    parts.append(f'<si><t xml:space="preserve">{text}</t></si>')
                else:
                    parts.append(f"<si><t>{text}</t></si>")
                if len(parts) >= 5000:
                    fh.write("".join(parts).encode())
                    parts = []
            parts.append("</sst>")
            fh.write("".join(parts).encode())
        title = sheet_title.translate(_XML_TEXT).replace('"', "&quot;")
        zf.writestr(
            "[Content_Types].xml",
            f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'{_XML_DECL}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
            f'<sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL_NS}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        zf.writestr(
            "xl/styles.xml",
            f'{_XML_DECL}<styleSheet xmlns="{_MAIN_NS}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" '
            'fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
            '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
        )
