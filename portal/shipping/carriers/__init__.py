"""Carriers: tracking-number rules, tracking pages, label CSVs and shipment-history CSVs.

The supplier's order screens and `portal.shipping.shipments` use the names below; each lives in
the module named for what it does:

- names: the `Carrier` enum, its labels, and the carrier names suppliers type in a CSV.
- tracking: tracking-number formats and check digits, and the carriers' public tracking pages.
- cp932: fitting text to the label software (JIS X 0208 only, fields cut by CP932 bytes).
- layout: `LabelRow`, the 時間帯 bands, and the column-table building blocks of a layout.
- b2cloud, ehiden, ehiden3, yupri: one module per label layout (ヤマト B2クラウド, 佐川 e飛伝Ⅱ
  and e飛伝Ⅲ, 日本郵便 ゆうプリR), each citing the carrier's layout document it follows.
- labels: `LABEL_FORMATS` and `label_csv`, the file a label software imports, and
  `unsupported_bands` (wishes a layout has no 時間帯 for).
- history: `parse_shipment_file`, the shipment-history uploads (ours and the carriers').
"""

from __future__ import annotations

from portal.shipping.carriers import b2cloud, ehiden, ehiden3, yupri
from portal.shipping.carriers.cp932 import CP932_SUBSTITUTES, UNPRINTABLE, to_cp932_text
from portal.shipping.carriers.history import (
    FORMAT_LABELS,
    ParsedShipments,
    RowProblem,
    ShipmentRow,
    parse_date,
    parse_shipment_file,
)
from portal.shipping.carriers.labels import (
    LABEL_FILENAMES,
    LABEL_FORMATS,
    LABEL_LAYOUTS,
    label_csv,
    unsupported_bands,
)
from portal.shipping.carriers.layout import LabelRow, time_band
from portal.shipping.carriers.names import CARRIER_LABELS, Carrier, carrier_from_name
from portal.shipping.carriers.tracking import tracking_url, validate_tracking

# Each layout's title row, in file order.
B2_COLUMNS = b2cloud.LAYOUT.header
EHIDEN_COLUMNS = ehiden.LAYOUT.header
EHIDEN3_COLUMNS = ehiden3.LAYOUT.header
YUPRI_COLUMNS = yupri.LAYOUT.header

__all__ = [
    "B2_COLUMNS",
    "CARRIER_LABELS",
    "CP932_SUBSTITUTES",
    "EHIDEN3_COLUMNS",
    "EHIDEN_COLUMNS",
    "FORMAT_LABELS",
    "LABEL_FILENAMES",
    "LABEL_FORMATS",
    "LABEL_LAYOUTS",
    "UNPRINTABLE",
    "YUPRI_COLUMNS",
    "Carrier",
    "LabelRow",
    "ParsedShipments",
    "RowProblem",
    "ShipmentRow",
    "carrier_from_name",
    "label_csv",
    "parse_date",
    "parse_shipment_file",
    "time_band",
    "to_cp932_text",
    "tracking_url",
    "unsupported_bands",
    "validate_tracking",
]
