"""Reading the dashboard as a user does: the page's figures and rows, the CSV's rows."""

from __future__ import annotations

import csv
import html
import io
import re

from werkzeug.test import TestResponse

HX = {"HX-Request": "true"}


def text_of(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def summary(response: TestResponse) -> dict[str, str]:
    """The summary cards: {figure: shown value}."""
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', response.get_data(as_text=True)))


def row_of(response: TestResponse, attribute: str, code: str) -> str:
    """The table row of a village (`data-village`) or kecamatan (`data-kecamatan`), as text."""
    page = response.get_data(as_text=True)
    match = re.search(rf'<tr {attribute}="{code}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no row {attribute}={code}"
    return html.unescape(match.group(0))


def cells(row: str) -> list[str]:
    """A row's cells as plain text, whitespace collapsed."""
    found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in found]


def csv_rows(response: TestResponse) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def bars(response: TestResponse, chart_id: str) -> list[int]:
    """The values of a chart's bars, in drawing order."""
    page = response.get_data(as_text=True)
    match = re.search(rf'<svg[^>]* id="{chart_id}".*?</svg>', page, re.S)
    assert match, f"no chart {chart_id}"
    return [int(v) for v in re.findall(r'<rect class="bar"[^>]*data-value="(\d+)"', match.group(0))]
