"""Charts of the analytics page as inline SVG, drawn on the server.

The monthly report's style (portal.monthly.charts, whose `paired_bars` the page reuses for
this 年度 against the last): black and white, series told apart by pattern and line style
(solid grey bars / hatched bars; a solid line with filled dots / a dashed line with open
squares), a legend that shows the pattern, values as text. The numbers of every chart are in
the table beside it as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from portal.monthly.charts import SOLID


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}">'
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ranked_bars(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str,
    label_chars: int = 18,
    label_width: int = 190,
    data_labels: bool = False,
) -> str:
    """Horizontal bars, biggest first as given, each with its value printed after it.
    `data_labels`: the labels are data in Japanese (gift names), marked lang="ja"."""
    width, left, right, row_h = 680, label_width, 110, 18
    height = 24 + row_h * max(len(rows), 1) + 6
    peak = max((v for _l, v in rows), default=0) or 1
    span = width - left - right
    lang = ' lang="ja"' if data_labels else ""
    parts = [
        _svg_open(width, height, title),
        f'<text x="0" y="12" font-size="10">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(rows):
        y = 22 + i * row_h
        w = max(value / peak * span, 0.5 if value else 0)
        parts.append(
            f'<text x="0" y="{y + 10}" font-size="9"{lang}>{escape(_clip(label, label_chars))}</text>'
            f'<rect x="{left}" y="{y + 1}" width="{w:.1f}" height="11" fill="{SOLID}" '
            'stroke="#000" stroke-width="0.6"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 10}" font-size="8">'
            f"{_number(value)}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def line_pair(
    labels: Sequence[str],
    this: Sequence[int | None],
    last: Sequence[int],
    *,
    title: str,
    this_label: str,
    last_label: str,
    unit: str,
    every: int = 1,
) -> str:
    """Two lines over the same x labels: this period solid with filled dots, last period
    dashed with open squares; each line's last value (and the peak) is printed as text.
    A None in `this` (a month still to come) ends its line there."""
    width, height, left, right, bottom, top = 680, 230, 64, 70, 24, 36
    n = max(len(labels), 1)
    step = (width - left - right) / max(n - 1, 1)
    values = [v for v in (*this, *last) if v is not None]
    peak = max(values, default=0) or 1
    scale = (height - bottom - top) / peak

    def xy(i: int, v: int) -> tuple[float, float]:
        return left + i * step, height - bottom - v * scale

    parts = [
        _svg_open(width, height, title),
        f'<text x="0" y="12" font-size="10">{escape(title)}</text>',
        f'<line x1="{left}" y1="22" x2="{left + 18}" y2="22" stroke="#000" stroke-width="1.6"/>'
        f'<circle cx="{left + 9}" cy="22" r="2.6" fill="#000"/>'
        f'<text x="{left + 24}" y="25" font-size="8">{escape(this_label)}</text>',
        f'<line x1="{left + 170}" y1="22" x2="{left + 188}" y2="22" stroke="#000" '
        'stroke-width="1.2" stroke-dasharray="4 3"/>'
        f'<rect x="{left + 176.5}" y="19.5" width="5" height="5" fill="#fff" stroke="#000"/>'
        f'<text x="{left + 194}" y="25" font-size="8">{escape(last_label)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        'stroke="#000" stroke-width="0.8"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="8" text-anchor="end">'
        f"{peak:,}{escape(unit)}</text>",
        f'<text x="{left - 4}" y="{height - bottom}" font-size="8" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            x, _ = xy(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 12}" font-size="8" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    # last year's line under this year's
    points = [xy(i, v) for i, v in enumerate(last)]
    if points:
        parts.append(
            '<polyline fill="none" stroke="#000" stroke-width="1.2" stroke-dasharray="4 3" '
            f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}"/>'
        )
        for x, y in points:
            parts.append(
                f'<rect x="{x - 2.5:.1f}" y="{y - 2.5:.1f}" width="5" height="5" fill="#fff" '
                'stroke="#000" stroke-width="0.8"/>'
            )
        x, y = points[-1]
        parts.append(
            f'<text x="{x + 5:.1f}" y="{y + 10:.1f}" font-size="8">{last[-1]:,}{escape(unit)}</text>'
        )
    shown = [(i, v) for i, v in enumerate(this) if v is not None]
    if shown:
        points = [xy(i, v) for i, v in shown]
        parts.append(
            '<polyline fill="none" stroke="#000" stroke-width="1.6" '
            f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}"/>'
        )
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="#000"/>')
        x, y = points[-1]
        parts.append(
            f'<text x="{x + 5:.1f}" y="{y - 4:.1f}" font-size="8" font-weight="bold">'
            f"{shown[-1][1]:,}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
