"""Which characters no embedded document font can draw.

A name like 𠮷田 prints from the IPAmj明朝 fallback; a character no font has (a private-use
code point from an old 外字 system, a symbol outside every font) would print as an empty box on
a tax receipt. Batches ask this module before printing and wait for staff when it finds one.

The fonts' character maps are read once per process with fontTools (WeasyPrint's own
dependency); IPAmj明朝's map has about 58,000 entries, read in well under a second.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

from fontTools.ttLib import TTFont

from portal.documents.rendering import FONT_FILES


def _ignorable(char: str) -> bool:
    """Characters that draw nothing of their own: spaces, line breaks, joiners, variation
    selectors (an IVS like 葛󠄀 selects a glyph of the base character; IPAmj明朝 carries them,
    and without it the base character is printed)."""
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return True
    return unicodedata.category(char) in {"Zs", "Zl", "Zp", "Cc", "Cf"}


@cache
def drawable() -> frozenset[int]:
    """Every code point some embedded font maps to a glyph."""
    codes: set[int] = set()
    for path in FONT_FILES.values():
        font = TTFont(path, lazy=True)
        try:
            codes.update(font.getBestCmap() or {})
        finally:
            font.close()
    return frozenset(codes)


def undrawable(text: str) -> list[str]:
    """The characters of `text` no embedded font can draw, once each, in order of appearance."""
    codes = drawable()
    seen: list[str] = []
    for char in text:
        if ord(char) not in codes and not _ignorable(char) and char not in seen:
            seen.append(char)
    return seen


def undrawable_in(values: Iterable[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        for char in undrawable(value):
            if char not in found:
                found.append(char)
    return found


def describe(char: str) -> str:
    """U+XXXX and the Unicode name, for staff who must find the character elsewhere."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".strip()
