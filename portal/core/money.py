"""Money is integer yen everywhere; this module formats and parses it."""

from __future__ import annotations

import unicodedata


def format_yen(amount: int | None, locale: str = "ja") -> str:
    """12,000円 in Japanese, ¥12,000 in English."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    digits = f"{abs(int(amount)):,}"
    if locale.startswith("en"):
        return f"{sign}¥{digits}"
    return f"{sign}{digits}円"


def parse_yen(text: str) -> int:
    """'１２，０００円', '¥12,000' and '12000' all give 12000; anything else is ValueError."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    for ch in ("¥", "￥", "円", ",", " "):
        cleaned = cleaned.replace(ch, "")
    if not cleaned or not cleaned.lstrip("-").isdigit():
        raise ValueError(text)
    return int(cleaned)


def ratio_percent(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return round(part * 100 / whole, 1)
