"""Bar charts drawn on the server as SVG: no script, no external library.

Each chart is an <svg role="img"> with a <title> and is always shown next to a table of
the same figures (the table is what a screen reader reads; the SVG repeats it visually).
Presentation attributes only: the CSP forbids inline styles.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from reception.season import Row

BAR = 18
GAP = 6
LABEL_WIDTH = 150
WIDTH = 640


def bar_chart(title: str, rows: list[Row], *, rate: bool) -> SafeString:
    """Horizontal bars: the percentage of each row's total when `rate`, else its value."""
    values = [row.percent if rate else row.value for row in rows]
    top = 100 if rate else max([*values, 1])
    height = max(len(rows), 1) * (BAR + GAP) + GAP
    plot = WIDTH - LABEL_WIDTH - 70
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, (row, value) in enumerate(zip(rows, values, strict=True)):
        y = GAP + index * (BAR + GAP)
        length = round(plot * value / top) if top else 0
        shown = f"{value}%" if rate else str(value)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR - 5}" text-anchor="end" font-size="13" '
            f'fill="#1a1a1a">{escape(row.label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR}" fill="#0b4fa0"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + BAR - 5}" font-size="13" '
            f'fill="#1a1a1a">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    # Safe: every text above is escaped; the numbers are ours.
    return mark_safe("".join(parts))  # noqa: S308
