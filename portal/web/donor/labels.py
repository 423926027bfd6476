"""Wording of the donor pages' labels, in one place (translatable)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.portals import Portal
from portal.donations.models import DonationState
from portal.shipping.models import OrderStatus

ONESTOP_MISSING = {
    "identity": _l("本人確認書類"),
    "mynumber": _l("マイナンバー確認書類"),
    "signature": _l("署名"),
}

PROBLEM_LABELS = {
    "delay": _l("お届けが遅れています"),
    "damage": _l("破損があったため対応しています"),
    "redelivery": _l("再配達の手配をしています"),
    "returned": _l("返礼品が事業者に戻りました"),
    "out_of_stock": _l("品切れのため対応しています"),
}

CARRIER_LABELS = {
    "yamato": _l("ヤマト運輸"),
    "sagawa": _l("佐川急便"),
    "japanpost": _l("日本郵便"),
    "other": _l("その他の配送業者"),
}

ORDER_LABELS = {
    OrderStatus.ORDERED: _l("準備中"),
    OrderStatus.SHIPPED: _l("発送済"),
    OrderStatus.DELIVERED: _l("お届け済み"),
    OrderStatus.CANCELLED: _l("取消"),
}

STATE_LABELS = {
    DonationState.RECEIVED: _l("入金待ち"),
    DonationState.PAID: _l("入金確認済"),
    DonationState.CANCELLED: _l("取消"),
}

PORTAL_LABELS = {
    Portal.STANDARD: _l("ふるさと納税サイト"),
    Portal.CHOICE: _l("ふるさとチョイス"),
    Portal.RAKUTEN: _l("楽天ふるさと納税"),
    Portal.FURUNAVI: _l("ふるなび"),
    Portal.JAL: _l("JALふるさと納税"),
    Portal.SATOFULL: _l("さとふる"),
    Portal.DIRECT: _l("市への直接のお申し込み"),
}

# The status page's badge: the latest step reached (portal.donors.status.stage).
STAGE_LABELS = {
    "received": _l("入金待ち"),
    "paid": _l("入金確認済"),
    "arranged": _l("返礼品を手配済"),
    "shipped": _l("返礼品を発送済"),
    "delivered": _l("返礼品をお届け済み"),
    "receipt_issued": _l("受領証明書を発行済"),
    "receipt_mailed": _l("受領証明書を郵送済"),
    "cancelled": _l("取消"),
}
