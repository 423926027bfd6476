"""Wording of the supplier pages' labels, in one place (translatable)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.shipping.carriers import Carrier
from portal.shipping.models import OrderStatus

# The file each carrier's own label software imports (carriers.label_csv).
LABEL_SOFTWARE = {
    Carrier.YAMATO: _l("ヤマト B2クラウド"),
    Carrier.SAGAWA: _l("佐川 e飛伝"),
    Carrier.JAPAN_POST: _l("日本郵便 ゆうプリR"),
}

STATUS_LABELS = {
    OrderStatus.ORDERED: _l("未発送"),
    OrderStatus.SHIPPED: _l("発送済"),
    OrderStatus.DELIVERED: _l("配達済"),
    OrderStatus.CANCELLED: _l("取消"),
}
