"""Finding a caller's donation in one search box (staff donation list, the desk's side panel).

A caller spells what she can: 2026-000123 or ２０２６０００１２３, the portal's order number,
ヨシダ ハナコ or よしだはなこ, 吉田 for 𠮷田, 090-1234-5678 or 09012345678, an e-mail or a
postal code. The donation keeps normalised copies for this (`SEARCH_COLUMNS`, all
personal data; search_delivery, the gift recipient's name, serves the supplier's order list — the erasure command blanks them with the columns they are made from), written
by `search_values` wherever a donation row is written (bulk import, direct entry, ORM edits
through the listener below) and backfilled by migration 0023. On PostgreSQL they carry
pg_trgm GIN indexes (substring match of three or more characters); on SQLite plain B-tree
indexes (prefix and equality).

Variant characters (異体字) are folded to one representative through `VARIANTS`, a table of
data: the same fold runs on the stored copy and on the search term, so 𠮷田, 吉田 and
よしだ's kanji form all meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jaconv
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.donations import normalise
from portal.donations.models import Donation

# The Donation columns holding normalised copies of personal data (names, kana, phones,
# e-mail). One place: the erasure of personal data must blank these too.
SEARCH_COLUMNS = (
    "search_name",
    "search_kana",
    "search_phone",
    "search_email",
    "search_delivery",  # the gift's recipient (delivery_name): the supplier's order list
)

# 異体字 → the form a caller types. Each entry: the common form, then its variants. Data, not
# code: add a line when a caller's name is not found.
_VARIANT_GROUPS = (
    "吉𠮷",
    "高髙",
    "崎﨑嵜碕",
    "浜濱濵",
    "辺邊邉𨺉",
    "斉齋齊斎",
    "沢澤",
    "島嶋嶌",
    "桜櫻",
    "広廣",
    "国國",
    "竜龍",
    "恵惠",
    "徳德",
    "富冨",
    "蔵藏",
    "実實",
    "栄榮",
    "真眞",
    "条條",
    "柳栁",
    "瀬瀨",
    "渕渊淵",
    "槙槇",
    "関關",
    "舘館",
    "曽曾",
    "鉄鐵",
    "黒黑",
    "滝瀧",
    "峰峯",
    "万萬",
    "与與",
    "弥彌",
    "豊豐",
    "礼禮",
    "来來",
    "宮宫",
)
VARIANTS: dict[str, str] = {
    v: group[0] for group in _VARIANT_GROUPS for v in group[1:] if v != group[0]
}
_VARIANT_TABLE = str.maketrans(VARIANTS)
# The table runs before and after NFKC: NFKC maps most compatibility ideographs to their
# unified form (which the table may fold further); 﨑 U+FA11 has no such mapping, so the table
# names it.
_IVS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")  # variation selectors: dropped
# After NFKC, one table for both folds (variant kanji, hiragana → katakana: the keys never
# overlap and neither yields a space or the other's keys, so one pass equals the two in turn).
_AFTER_TABLE = str.maketrans(
    {**VARIANTS, **{chr(k): v for k, v in jaconv.jaconv.H2K_TABLE.items()}}
)
# Whether a pass has anything to do: a regex search costs a fraction of a dict translate, and
# most names have neither a variant kanji nor a variation selector, most readings no hiragana.
_BEFORE_NEEDED = re.compile(
    "[" + "".join(map(re.escape, VARIANTS)) + "\ufe00-\ufe0f\U000e0100-\U000e01ef]"
)
_AFTER_NEEDED = re.compile(
    "[" + "".join(re.escape(chr(k)) for k, v in _AFTER_TABLE.items() if v != chr(k)) + "]"
)


def fold(value: str) -> str:
    """The search form of a name or a kana reading: widths unified (NFKC), variation
    selectors and spaces removed, variant kanji folded, hiragana as katakana, lower case.

    Runs for every donation an import writes (three times), so each pass is skipped when a
    regex search says it would change nothing, and whitespace goes by str.split (the same
    characters as `\\s`: both use str.isspace)."""
    if not value:
        return ""
    text = value
    if _BEFORE_NEEDED.search(text):
        text = _IVS.sub("", text.translate(_VARIANT_TABLE))
    text = "".join(unicodedata.normalize("NFKC", text).split())
    if _AFTER_NEEDED.search(text):
        text = text.translate(_AFTER_TABLE)
    return text.lower()


def phone_digits(value: str) -> str:
    return normalise.digits(value or "")


def search_values(values: Mapping[str, Any]) -> dict[str, str]:
    """The search columns of a donation from its own values (dict or object attributes)."""

    def get(key: str) -> str:
        return str(values.get(key) or "")

    phones = [phone_digits(get("phone")), phone_digits(get("delivery_phone"))]
    return {
        "search_name": fold(get("donor_name")),
        "search_kana": fold(get("donor_kana")),
        "search_phone": " ".join(dict.fromkeys(p for p in phones if p)),
        "search_email": get("email").strip().lower(),
        "search_delivery": fold(get("delivery_name")),
    }


SOURCES = ("donor_name", "donor_kana", "phone", "delivery_phone", "email", "delivery_name")


def refresh(donation: Donation) -> None:
    """Write the search columns of an ORM donation from its own values."""
    values = search_values({k: getattr(donation, k) for k in SOURCES})
    for key, value in values.items():
        setattr(donation, key, value)


@sa.event.listens_for(Donation, "before_insert")
def _search_on_insert(_mapper: Any, _conn: Any, target: Donation) -> None:
    refresh(target)


@sa.event.listens_for(Donation, "before_update")
def _search_on_update(_mapper: Any, _conn: Any, target: Donation) -> None:
    state = sa.inspect(target)
    if any(state.attrs[k].history.has_changes() for k in SOURCES):
        refresh(target)


# --- the search ------------------------------------------------------------------------------

MAX_TERM = 100
_DONATION_NO = re.compile(r"^(\d{4})(\d{1,6})$")
_DASH_TABLE = str.maketrans({c: "-" for c in "‐‑‒–—―−ーｰ"})  # a caller's hyphens, any kind
_NUMBER_PUNCTUATION = re.compile(r"[0-9\-\s()+]")  # what a number may carry besides digits


@dataclass(frozen=True)
class Term:
    """What a typed term is compared with (each part empty when the term cannot be one)."""

    raw: str  # NFKC, trimmed: portal order numbers
    donation_no: str  # 2026-000123
    digits: str  # phone / postal code
    text: str  # folded name / kana
    email: str


def parse(term: str) -> Term:
    raw = unicodedata.normalize("NFKC", term or "").strip()[:MAX_TERM]
    compact = raw.replace("〒", "").translate(_DASH_TABLE)
    digits = normalise.digits(compact)
    only_digits = bool(digits) and not _NUMBER_PUNCTUATION.sub("", compact)
    number = ""
    m = _DONATION_NO.match(digits) if only_digits else None
    if m:
        number = f"{m.group(1)}-{int(m.group(2)):06d}"
    return Term(
        raw=raw,
        donation_no=number,
        digits=digits if only_digits else "",
        text="" if only_digits or "@" in raw else fold(raw),
        email=raw.lower() if "@" in raw else "",
    )


def _contains(column: Any, value: str, postgres: bool) -> sa.ColumnElement[bool]:
    """PostgreSQL: a substring when the term has three characters or more, else a prefix —
    both LIKE patterns the trigram index serves, whatever the database's collation. SQLite: a
    prefix as a range, which its B-tree index serves."""
    if postgres:
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%" if len(value) >= 3 else f"{escaped}%"
        return column.like(pattern, escape="\\")
    return sa.and_(column >= value, column < value + "\U0010ffff")


def search_clause(session: Session, term: str) -> sa.ColumnElement[bool] | None:
    """The WHERE clause matching a typed term (None: nothing searchable in it)."""
    t = parse(term)
    postgres = session.get_bind().dialect.name == "postgresql"
    parts: list[sa.ColumnElement[bool]] = []
    if t.raw:
        parts.append(Donation.portal_order_no == t.raw)
    if t.donation_no:
        parts.append(Donation.donation_no == t.donation_no)
    if t.digits:
        if len(t.digits) == 7:
            parts.append(Donation.postal_code == t.digits)
        if len(t.digits) >= 4:
            parts.append(_contains(Donation.search_phone, t.digits, postgres))
    if t.email:
        parts.append(Donation.search_email == t.email)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", t.email):  # part of one: hanako@
            parts.append(_contains(Donation.search_email, t.email, postgres))
    if t.text:
        parts.append(_contains(Donation.search_name, t.text, postgres))
        parts.append(_contains(Donation.search_kana, t.text, postgres))
        if t.text.isascii():  # part of an e-mail address (donor12345)
            parts.append(_contains(Donation.search_email, t.text, postgres))
    return sa.or_(*parts) if parts else None


def name_contains(term: str) -> sa.ColumnElement[bool] | None:
    """Donations whose donor or gift recipient has the typed name anywhere in it, folded as
    `fold` does (吉田 finds 𠮷田, spaces and widths do not matter): the supplier's order list.
    A substring on both databases (a given name is typed as often as a surname); on
    PostgreSQL the trigram indexes of search_name and search_delivery (0023, 0031) answer a
    term of three characters or more, a shorter one is filtered along the list's own order."""
    text = fold(term)
    if not text:
        return None
    return sa.or_(
        Donation.search_name.contains(text, autoescape=True),
        Donation.search_delivery.contains(text, autoescape=True),
    )


def find(session: Session, term: str, *, limit: int = 10) -> list[Donation] | None:
    """The newest donations matching a typed term (None: nothing searchable in it)."""
    clause = search_clause(session, term)
    if clause is None:
        return None
    stmt = sa.select(Donation).where(clause).order_by(Donation.id.desc()).limit(limit)
    return list(session.scalars(stmt))
