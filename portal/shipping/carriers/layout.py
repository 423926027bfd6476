"""What every label layout is made of: the row we print, and columns described as data.

A layout is its carrier's column table in file order: each column has the title the carrier's
software expects and either a constant or a small getter (`field`, `text`, `part`, …) naming
where its value comes from. Columns we leave empty are listed by title alone, so the table
reads like the carrier's own layout document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from portal.gifts.models import TemperatureBand
from portal.shipping.carriers import cp932


@dataclass(frozen=True)
class LabelRow:
    order_no: str
    recipient_name: str
    recipient_postal: str
    recipient_address: str
    recipient_phone: str
    sender_name: str
    sender_postal: str
    sender_address: str
    sender_phone: str
    item_name: str
    quantity: int
    temperature: TemperatureBand
    desired_date: date | None
    desired_time: str
    ship_on: date

    @property
    def item_text(self) -> str:
        """品名 with the quantity when more than one: 比婆牛 切り落とし ×2."""
        return self.item_name if self.quantity <= 1 else f"{self.item_name} ×{self.quantity}"


def time_band(text: str) -> str | None:
    """The donor's 時間帯 as one of am, 1214, 1416, 1618, 1820, 1921 (None = no band).

    This is the wish, whatever the carrier offers: a layout without that band (B2クラウド has
    no 12–14 since 2017-06-19) writes no band, and the label screen warns (labels.py)."""
    t = unicodedata.normalize("NFKC", text or "").replace(" ", "")
    if not t or t in ("指定なし", "なし"):
        return None
    if "午前" in t:
        return "am"
    hours = [int(h) for h in re.findall(r"(\d{1,2})(?::\d{2})?", t)]
    if len(hours) == 1 and len(t) == 4 and t.isdigit():  # a carrier code such as 1416
        hours = [int(t[:2]), int(t[2:])]
    bands = {(8, 12): "am", (12, 14): "1214", (14, 16): "1416", (16, 18): "1618",
             (18, 20): "1820", (19, 21): "1921", (20, 21): "1921"}  # fmt: skip
    return bands.get((hours[0], hours[1])) if len(hours) >= 2 else None


Getter = Callable[[LabelRow], str]


@dataclass(frozen=True)
class Column:
    title: str
    value: str | Getter = ""  # a constant, or where the value comes from

    def render(self, row: LabelRow) -> str:
        return self.value(row) if callable(self.value) else self.value


def columns(*specs: str | tuple[str, str | Getter]) -> tuple[Column, ...]:
    """A column table: a bare title is a column we leave empty."""
    return tuple(Column(s) if isinstance(s, str) else Column(*s) for s in specs)


@dataclass(frozen=True)
class Layout:
    filename: str  # the downloaded file's name: {filename}-{date}.csv
    columns: tuple[Column, ...]
    header_row: bool = True  # False: positional columns only (ゆうプリR)

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.title for c in self.columns)

    def values(self, row: LabelRow) -> list[str]:
        return [c.render(row) for c in self.columns]


# --- getters: where a column's value comes from --------------------------------------------


def field(name: str) -> Getter:
    """The row's value as it is (e.g. the order number, already half-width)."""
    return lambda row: str(getattr(row, name))


def text(name: str) -> Getter:
    """The row's text made printable by the label software (to_cp932_text)."""
    return lambda row: cp932.to_cp932_text(getattr(row, name))


def part(name: str, width: int, parts: int, index: int, *, suffix: str = "") -> Getter:
    """Field `index` of the printable text cut into `parts` fields of `width` bytes."""

    def get(row: LabelRow) -> str:
        fitted = cp932.to_cp932_text(getattr(row, name) + suffix)
        return cp932.split_bytes(fitted, width, parts)[index]

    return get


def postal(name: str) -> Getter:
    return lambda row: cp932.postal(getattr(row, name))


def phone(name: str) -> Getter:
    return lambda row: cp932.phone(getattr(row, name))


def day(name: str, fmt: str) -> Getter:
    """A date in the layout's format; empty when the row has none (no 配達日 asked for)."""

    def get(row: LabelRow) -> str:
        value = getattr(row, name)
        return value.strftime(fmt) if value else ""

    return get


def cool(codes: Mapping[TemperatureBand, str]) -> Getter:
    """The layout's code for the gift's temperature band (クール区分 and the like)."""
    return lambda row: codes[TemperatureBand(row.temperature)]


def band(codes: Mapping[str, str], *, none: str = "") -> Getter:
    """The layout's code for the donor's 時間帯 (see time_band); `none` when there is none or
    the layout has no such band (never a code the carrier's software would refuse)."""

    def get(row: LabelRow) -> str:
        found = time_band(row.desired_time)
        return codes.get(found, none) if found else none

    return get
