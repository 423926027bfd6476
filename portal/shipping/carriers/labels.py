"""The label file each carrier's own software imports (one layout module per layout).

A supplier picks the software they use: ヤマト B2クラウド, 佐川 e飛伝Ⅱ or e飛伝Ⅲ, 日本郵便
ゆうプリR. Each format is keyed by a short name (the carrier's value for the first layout of a
carrier, so older links keep working).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.shipping.carriers import b2cloud, cp932, ehiden, ehiden3, yupri
from portal.shipping.carriers.layout import LabelRow, Layout, time_band
from portal.shipping.carriers.names import Carrier


@dataclass(frozen=True)
class LabelFormat:
    carrier: Carrier
    layout: Layout
    times: Mapping[str, str]  # the layout's 時間帯 codes (time_band → code)


LABEL_FORMATS: dict[str, LabelFormat] = {
    "yamato": LabelFormat(Carrier.YAMATO, b2cloud.LAYOUT, b2cloud.TIME),
    "sagawa": LabelFormat(Carrier.SAGAWA, ehiden.LAYOUT, ehiden.TIME),
    "sagawa_ehiden3": LabelFormat(Carrier.SAGAWA, ehiden3.LAYOUT, ehiden3.TIME),
    "japanpost": LabelFormat(Carrier.JAPAN_POST, yupri.LAYOUT, yupri.TIME),
}
# The carrier's default layout (the first of each carrier above).
LABEL_LAYOUTS: dict[Carrier, Layout] = {
    Carrier.YAMATO: b2cloud.LAYOUT,
    Carrier.SAGAWA: ehiden.LAYOUT,
    Carrier.JAPAN_POST: yupri.LAYOUT,
}
LABEL_FILENAMES = {key: f.layout.filename for key, f in LABEL_FORMATS.items()}


def label_format(key: str | Carrier) -> LabelFormat:
    try:
        return LABEL_FORMATS[str(key)]
    except KeyError:
        raise DomainError(_l("この配送業者の送り状データはありません。"), field="carrier") from None


def label_csv(key: str | Carrier, rows: Sequence[LabelRow]) -> bytes:
    """The file the label software imports: CP932, CRLF, a title row unless the layout is
    positional (ゆうプリR)."""
    layout = label_format(key).layout
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    if layout.header_row:
        writer.writerow(layout.header)
    for row in rows:
        writer.writerow(layout.values(row))
    return out.getvalue().encode("cp932")


def replaced_in_rows(rows: Iterable[LabelRow]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(order number, [(written, printed), …]) for each row whose name or address the label
    file writes with other characters (the label software knows JIS X 0208 only)."""
    changed = []
    for row in rows:
        pairs: list[tuple[str, str]] = []
        for text in (
            row.recipient_name,
            row.recipient_address,
            row.sender_name,
            row.sender_address,
        ):
            pairs += [p for p in cp932.replaced_characters(text) if p not in pairs]
        if pairs:
            changed.append((row.order_no, pairs))
    return changed


def unsupported_band(key: str | Carrier, desired_time: str) -> str | None:
    """The wished 時間帯 this layout has no band for (written as no band), else None."""
    band = time_band(desired_time)
    if band is None or band in label_format(key).times:
        return None
    return band


def unsupported_bands(orders: Iterable[tuple[str, str]]) -> list[tuple[str, str, list[str]]]:
    """(format key, band, order numbers) for each wished 時間帯 a label format cannot carry:
    B2クラウド has had no 12–14 band since 2017-06-19, so those orders go out without one."""
    found: dict[tuple[str, str], list[str]] = {}
    for order_no, desired in orders:
        for key in LABEL_FORMATS:
            band = unsupported_band(key, desired)
            if band is not None:
                found.setdefault((key, band), []).append(order_no)
    return [(key, band, nos) for (key, band), nos in found.items()]
