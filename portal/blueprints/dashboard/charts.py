"""Small bar charts drawn on the server as inline SVG: no JavaScript library, nothing from a CDN.

Each function returns the SVG markup as a string, built only from numbers and escaped text, so a
template may insert it with `|safe`. Styling is by SVG presentation attributes (`fill`,
`font-size`), not `style`: the portal's Content-Security-Policy refuses inline styles. Every chart
is `role="img"` with a `<title>` and a `<desc>`; every bar has its own `<title>` (the value on
hover), and the page shows the same figures in a table beside it, so nothing is only in the
picture. Every bar is drawn, a zero as an empty one: one `<rect class="bar">` per value.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# Colours with at least 4.5:1 contrast on white (WCAG AA), one per series unless given.
PALETTE = ("#1565c0", "#c62828", "#2e7d32", "#8d6e00", "#6a1b9a")
BLUE, RED, GREEN = PALETTE[:3]
# Text takes the page's colour, so that it stays readable in Pico's dark theme.
TEXT = "currentColor"
GRID = "#cfd8dc"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def nice_ceiling(value: int) -> int:
    """The axis top: the smallest of 1, 2, 5, 10, 20, 50 … that holds `value` (at least 1)."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


def _ticks(top: int) -> list[int]:
    """0, the top and, when it is whole, the middle."""
    return [0, top // 2, top] if top % 2 == 0 and top > 1 else [0, top]


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    chart_id = _text(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{_text(FONT)}">',
        f'<title id="{chart_id}-title">{_text(title)}</title>',
        f'<desc id="{chart_id}-desc">{_text(description)}</desc>',
    ]


def column_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    description: str = "",
    colors: Sequence[str] = PALETTE,
    width: int = 640,
    height: int = 240,
) -> str:
    """Vertical bars: one group per category (e.g. a month), one bar per series in each group.

    `series` is [(name, values)], every `values` as long as `categories`; a legend names the
    series when there is more than one.
    """
    if any(len(values) != len(categories) for _, values in series):
        raise ValueError("every series needs one value per category")
    colors = [colors[n % len(colors)] for n in range(len(series))]
    left, right, top_margin, bottom = 40, 8, 28 if len(series) > 1 else 12, 34
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    top = nice_ceiling(max((v for _, values in series for v in values), default=0))
    parts = _open(chart_id, title, description, width, height)
    for tick in _ticks(top):
        y = top_margin + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{tick}</text>'
        )
    slot = plot_w / max(len(categories), 1)
    label_every = -(-len(categories) // 12)  # at most 12 category labels fit under the axis
    bar_w = slot * 0.8 / max(len(series), 1)
    for index, category in enumerate(categories):
        x0 = left + slot * index + slot * 0.1
        for number, (name, values) in enumerate(series):
            value = values[index]
            bar_h = plot_h * value / top
            parts.append(
                f'<rect class="bar" x="{x0 + bar_w * number:.1f}" '
                f'y="{top_margin + plot_h - bar_h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{bar_h:.1f}" fill="{colors[number]}" '
                f'data-value="{int(value)}"><title>{_text(category)}, {_text(name)}: '
                f"{int(value)}</title></rect>"
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{left + slot * index + slot / 2:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle" font-size="12" fill="{TEXT}">{_text(category)}</text>'
            )
    if len(series) > 1:
        x = left
        for number, (name, _values) in enumerate(series):
            parts.append(
                f'<rect x="{x}" y="6" width="12" height="12" '
                f'fill="{colors[number]}"/>'
                f'<text x="{x + 16}" y="16" font-size="12" fill="{TEXT}">{_text(name)}</text>'
            )
            x += 24 + 8 * len(str(name))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, int]],
    *,
    description: str = "",
    color: str = RED,
    width: int = 640,
    label_width: int = 150,
    row_height: int = 28,
) -> str:
    """Horizontal bars, one row per item (e.g. a removal reason), the value written after it."""
    top_margin, right = 8, 48
    height = top_margin * 2 + row_height * max(len(items), 1)
    plot_w = width - label_width - right
    top = nice_ceiling(max((value for _, value in items), default=0))
    parts = _open(chart_id, title, description, width, height)
    parts.append(
        f'<line x1="{label_width}" x2="{label_width}" y1="{top_margin}" '
        f'y2="{height - top_margin}" stroke="{GRID}" stroke-width="1"/>'
    )
    for index, (label, value) in enumerate(items):
        y = top_margin + row_height * index
        bar_w = plot_w * value / top
        middle = y + row_height / 2 + 4
        parts.append(
            f'<text x="{label_width - 8}" y="{middle:.1f}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{_text(label)}</text>'
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{bar_w:.1f}" '
            f'height="{row_height - 8}" fill="{color}" data-value="{int(value)}">'
            f"<title>{_text(label)}: {int(value)}</title></rect>"
            f'<text x="{label_width + bar_w + 6:.1f}" y="{middle:.1f}" font-size="12" '
            f'fill="{TEXT}">{int(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
