"""Wording of the supplier pages' labels, in one place (translatable)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.models import Supplier
from portal.core.dates import today_jst
from portal.shipping import shipments
from portal.shipping.carriers.labels import replaced_in_rows, unsupported_bands
from portal.shipping.models import Order, OrderStatus

# The file each label software imports (carriers.label_csv), by label format key.
LABEL_SOFTWARE = {
    "yamato": _l("ヤマト B2クラウド"),
    "sagawa": _l("佐川 e飛伝Ⅱ"),
    "sagawa_ehiden3": _l("佐川 e飛伝Ⅲ"),
    "japanpost": _l("日本郵便 ゆうプリR"),
}
BAND_TEXT = {
    "am": _l("午前中"),
    "1214": _l("12〜14時"),
    "1416": _l("14〜16時"),
    "1618": _l("16〜18時"),
    "1820": _l("18〜20時"),
    "1921": _l("19〜21時"),
}


def label_warnings(orders: list[Order], supplier: Supplier) -> list[str]:
    """For the label buttons: unshipped orders whose 時間帯 a label file cannot carry, and
    those whose name or address the label file writes with stand-in characters."""
    unshipped = [o for o in orders if o.status == OrderStatus.ORDERED]
    replaced = [
        _(
            "送り状CSVでは、注文 %(order)s の宛名・住所の文字を置き換えて出力します：%(pairs)s。"
            "伝票の表記を確認してください。",
            order=order_no,
            pairs="、".join(f"{a}→{b}" for a, b in pairs),
        )
        for order_no, pairs in replaced_in_rows(
            shipments.label_rows(unshipped, supplier, today_jst())
        )
    ]
    return _band_warnings(orders) + replaced


def _band_warnings(orders: list[Order]) -> list[str]:
    wishes = [
        (shipments.order_no(o), o.line.desired_time)
        for o in orders
        if o.status == OrderStatus.ORDERED and o.line.desired_time
    ]
    return [
        _(
            "%(software)s には %(band)s の時間帯がありません。"
            "次の注文は時間帯なしで出力されます：%(orders)s",
            software=LABEL_SOFTWARE.get(key, key),
            band=BAND_TEXT[band],
            orders="、".join(nos),
        )
        for key, band, nos in unsupported_bands(wishes)
    ]


STATUS_LABELS = {
    OrderStatus.ORDERED: _l("未発送"),
    OrderStatus.SHIPPED: _l("発送済"),
    OrderStatus.DELIVERED: _l("配達済"),
    OrderStatus.CANCELLED: _l("取消"),
}
