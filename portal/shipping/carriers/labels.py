"""The label file each carrier's own software imports (one layout module per carrier)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.shipping.carriers import b2cloud, ehiden, yupri
from portal.shipping.carriers.layout import LabelRow, Layout
from portal.shipping.carriers.names import Carrier

LABEL_LAYOUTS: dict[Carrier, Layout] = {
    Carrier.YAMATO: b2cloud.LAYOUT,
    Carrier.SAGAWA: ehiden.LAYOUT,
    Carrier.JAPAN_POST: yupri.LAYOUT,
}
LABEL_FILENAMES = {carrier: layout.filename for carrier, layout in LABEL_LAYOUTS.items()}


def label_csv(carrier: Carrier, rows: Sequence[LabelRow]) -> bytes:
    """The file the carrier's label software imports: CP932, CRLF, one title row."""
    try:
        layout = LABEL_LAYOUTS[Carrier(carrier)]
    except KeyError:
        raise DomainError(_l("この配送業者の送り状データはありません。"), field="carrier") from None
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(layout.header)
    for row in rows:
        writer.writerow(layout.values(row))
    return out.getvalue().encode("cp932")
