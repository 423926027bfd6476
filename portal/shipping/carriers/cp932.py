"""Fitting text to the carriers' label software: JIS X 0208 only, fields cut by CP932 bytes.

The carriers' label software takes JIS X 0208 only: B2クラウド and e飛伝 reject 機種依存文字 (NEC
special characters such as ①, ㈱ and the NEC/IBM extension kanji such as 髙 or 﨑, although
Windows' CP932 can encode them). Each character outside JIS X 0208 is replaced, in order, by:
  1. the table below of common name/place variants (異体字 → 通用字体),
  2. its NFKC form when that is JIS X 0208 (① → 1, ㈱ → (株), Ⅱ → II, half-width kana → full),
  3. 〓 (げた記号), the conventional mark for "a character that cannot be printed", so the
     supplier sees on the label that one character needs writing by hand.
"""

from __future__ import annotations

import re
import unicodedata

CP932_SUBSTITUTES = {
    "髙": "高",
    "﨑": "崎",
    "𠮷": "吉",
    "德": "徳",
    "栁": "柳",
    "瀨": "瀬",
    "濵": "浜",
    "槗": "橋",
    "黑": "黒",
    "淸": "清",
    "增": "増",
    "〜": "～",
    "−": "－",
    "‐": "－",
    "‑": "－",
    "–": "－",
    "—": "―",
    "\u00a0": " ",
}
UNPRINTABLE = "〓"


def _jis0208_ok(ch: str) -> bool:
    try:
        encoded = ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    if len(encoded) == 1:
        return True
    lead = encoded[0]
    # JIS X 0208 rows map to lead bytes 81–84 (symbols, kana, Greek, Cyrillic), 88–9F and E0–EA
    # (kanji levels 1 and 2); 85–87 are NEC row 13, ED–EE and FA–FC the NEC/IBM extensions.
    return 0x81 <= lead <= 0x84 or 0x88 <= lead <= 0x9F or 0xE0 <= lead <= 0xEA


def to_cp932_text(text: str) -> str:
    """Text the carrier software will accept: JIS X 0208 characters only, one line."""
    out = []
    for ch in (text or "").replace("\r\n", " ").replace("\n", " ").replace("\r", " "):
        if _jis0208_ok(ch) and ch not in ("〜", "−"):
            out.append(ch)
            continue
        if ch in CP932_SUBSTITUTES and _jis0208_ok(CP932_SUBSTITUTES[ch]):
            out.append(CP932_SUBSTITUTES[ch])
            continue
        folded = unicodedata.normalize("NFKC", ch)
        if folded and all(_jis0208_ok(c) for c in folded):
            out.append(folded)
            continue
        out.append(UNPRINTABLE)
    return "".join(out)


def replaced_characters(text: str) -> list[tuple[str, str]]:
    """(written, printed) for each character to_cp932_text changes, once each: 𠮷 → 吉,
    髙 → 高, a character with no stand-in → 〓. The wave dash and minus sign, swapped for their
    CP932 look-alikes, are left out: the label reads the same."""
    found: list[tuple[str, str]] = []
    for ch in (text or "").replace("\r", "").replace("\n", ""):
        if ch in ("〜", "−") or _jis0208_ok(ch):
            continue
        pair = (ch, to_cp932_text(ch))
        if pair[0] != pair[1] and pair not in found:
            found.append(pair)
    return found


def _cp932_len(text: str) -> int:
    return len(text.encode("cp932"))


def split_bytes(text: str, width: int, parts: int) -> list[str]:
    """Cut text into `parts` fields of at most `width` CP932 bytes (2 per full-width character).

    Whatever does not fit stays in the last field rather than being dropped: the carrier's
    software then flags the over-long field and the supplier shortens it there, knowingly.
    """
    chunks: list[str] = []
    rest = text
    for _ in range(parts - 1):
        cut, used = 0, 0
        for i, ch in enumerate(rest):
            size = _cp932_len(ch)
            if used + size > width:
                break
            cut, used = i + 1, used + size
        else:
            cut = len(rest)
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    return chunks


def postal(code: str) -> str:
    """A postal code as the label software wants it: 727-0011 (other lengths: digits only)."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", code or ""))
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else digits


def phone(number: str) -> str:
    """A phone number as digits and hyphens (full-width and ー folded)."""
    return re.sub(r"[^0-9-]", "", unicodedata.normalize("NFKC", number or "").replace("ー", "-"))
