"""Charts for the monthly report as inline SVG, drawn on the server.

Readable in black and white: series differ by fill pattern (solid grey / diagonal hatching),
every bar carries its value as text, and the legend shows the patterns, never colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape


def _patterns(pid: str) -> str:
    return PATTERNS.replace('id="hatch"', f'id="{pid}"')


PATTERNS = (
    '<pattern id="hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
    '<line x1="0" y1="0" x2="0" y2="5" stroke="#000" stroke-width="1.6"/></pattern>'
)
SOLID = "#555"


def _yen_short(value: int) -> str:
    return f"{value:,}"


def daily_bars(days: Sequence[tuple[date, int, int]], *, title: str, legend: str) -> str:
    """Amount per day (bars) with the count of donations printed above each bar."""
    width, height, left, bottom, top = 680, 210, 44, 26, 26
    n = max(len(days), 1)
    slot = (width - left - 8) / n
    peak = max((amount for _d, _c, amount in days), default=0) or 1
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}">',
        f"<defs>{_patterns('hatch-daily')}</defs>",
        f'<text x="{left}" y="12" font-size="10">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" '
        'stroke="#000" stroke-width="0.8"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="8" text-anchor="end">'
        f"{_yen_short(peak)}</text>",
    ]
    for i, (day, count, amount) in enumerate(days):
        x = left + i * slot + slot * 0.15
        h = amount * scale
        y = height - bottom - h
        if amount:
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                'fill="url(#hatch-daily)" stroke="#000" stroke-width="0.6"/>'
            )
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{y - 2:.1f}" font-size="7" '
                f'text-anchor="middle">{count}</text>'
            )
        if day.day == 1 or day.day % 5 == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{height - bottom + 11}" font-size="8" '
                f'text-anchor="middle">{day.day}</text>'
            )
    parts.append(
        f'<text x="{width - 4}" y="{height - 2}" font-size="8" text-anchor="end">'
        f"{escape(legend)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def paired_bars(
    rows: Sequence[tuple[str, int, int]],
    *,
    title: str,
    this_label: str,
    last_label: str,
    unit: str,
) -> str:
    """Horizontal pairs per row: this period (solid grey) above last year's (hatched)."""
    width, left, right, row_h = 680, 130, 90, 30
    height = 34 + row_h * max(len(rows), 1) + 8
    peak = max((max(a, b) for _l, a, b in rows), default=0) or 1
    span = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}">',
        f"<defs>{_patterns('hatch-pair')}</defs>",
        f'<text x="0" y="12" font-size="10">{escape(title)}</text>',
        f'<rect x="{left}" y="18" width="12" height="9" fill="{SOLID}" stroke="#000" stroke-width="0.6"/>',
        f'<text x="{left + 16}" y="26" font-size="8">{escape(this_label)}</text>',
        f'<rect x="{left + 150}" y="18" width="12" height="9" fill="url(#hatch-pair)" stroke="#000" stroke-width="0.6"/>',
        f'<text x="{left + 166}" y="26" font-size="8">{escape(last_label)}</text>',
    ]
    for i, (label, this, last) in enumerate(rows):
        y = 34 + i * row_h
        parts.append(f'<text x="0" y="{y + 15}" font-size="9">{escape(label)}</text>')
        for j, (value, fill) in enumerate(((this, SOLID), (last, "url(#hatch-pair)"))):
            w = max(value / peak * span, 0.5 if value else 0)
            yy = y + 2 + j * 12
            parts.append(
                f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="10" fill="{fill}" '
                'stroke="#000" stroke-width="0.6"/>'
            )
            parts.append(
                f'<text x="{left + w + 4:.1f}" y="{yy + 8}" font-size="8">{value:,}{escape(unit)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
