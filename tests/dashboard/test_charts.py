"""Server-drawn SVG charts: one bar per value, accessible, text escaped; on the page, the bars
carry the dashboard's figures."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from portal.blueprints.dashboard import charts
from tests.dashboard.helpers import bars, text_of

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def test_column_chart_draws_one_bar_per_value() -> None:
    months = [f"M{i}" for i in range(12)]
    svg = charts.column_chart(
        "c", "Judul", months, [("Keluar", list(range(12))), ("Baru", [0] * 11 + [7])]
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Judul"
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(rects) == 24
    assert [int(r.get("data-value")) for r in rects[:4]] == [0, 0, 1, 0]
    heights = {int(r.get("data-value")): float(r.get("height")) for r in rects}
    assert heights[0] == 0 and heights[10] == pytest.approx(2 * heights[5], abs=0.2)
    assert "Keluar" in svg and "Baru" in svg  # the legend


def test_bar_chart_draws_every_item() -> None:
    svg = charts.bar_chart("r", "Alasan", [("Meninggal", 3), ("Pindah", 0), ("Ganda", 6)])
    rects = [r for r in parse(svg).iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert [int(r.get("data-value")) for r in rects] == [3, 0, 6]
    widths = [float(r.get("width")) for r in rects]
    assert widths[1] == 0 and widths[2] == pytest.approx(2 * widths[0], abs=0.2)


def test_chart_text_is_escaped() -> None:
    evil = '<script>alert("x")</script>&'
    svg = charts.column_chart(evil, evil, [evil], [(evil, [1])], description=evil)
    svg += charts.bar_chart("b", evil, [(evil, 2)])
    assert "<script>" not in svg
    parse(svg.split("</svg>")[0] + "</svg>")


def test_series_must_match_the_categories() -> None:
    with pytest.raises(ValueError):
        charts.column_chart("c", "t", ["a", "b"], [("s", [1])])


@pytest.mark.parametrize("value", [0, 1, 3, 7, 10, 11, 49, 120])
def test_the_axis_holds_the_largest_value(value: int) -> None:
    top = charts.nice_ceiling(value)
    assert top >= max(value, 1)
    assert str(top).strip("0") in ("1", "2", "5")


def test_the_page_charts_the_period(client, auth, users, confirmed) -> None:
    auth.login_as(users["camat"])
    response = client.get("/dasbor/")
    assert bars(response, "grafik-musyawarah") == [0] * 11 + [1]
    families = bars(response, "grafik-keluarga")  # keluar and baru for each month
    assert len(families) == 24 and families[-2:] == [2, 1] and sum(families) == 3
    # One bar per removal reason, in the fixed order: sudah mampu, meninggal, pindah, …
    assert bars(response, "grafik-alasan") == [1, 1, 0, 0, 0, 0]
    page = response.get_data(as_text=True)
    assert len(re.findall(r'<svg[^>]*role="img"', page)) == 3
    # The figures are also in tables beside the charts.
    assert "Tabel per bulan" in text_of(response) and "Tabel menurut alasan" in text_of(response)
    assert bars(client.get("/dasbor/?bulan=6"), "grafik-musyawarah") == [0] * 5 + [1]
    assert len(bars(client.get("/dasbor/?bulan=24"), "grafik-keluarga")) == 48
