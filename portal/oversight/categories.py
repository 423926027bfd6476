"""The one table that says where each cost of raising donations comes from and which of
総務省's categories it belongs to [6(8)イ(イ), 平成31年総務省告示第179号 第2条].

Categories (the rows of the city's report to 総務省): 返礼品等の調達 / 送付 / 広報 / 決済 / 事務.
Since October 2023 the ワンストップ特例事務 and the 受領証明書 costs count too (in 事務).
The portal fees and the operator's fee are 事務.

Sources:
- the city invoice of each month (`portal/monthly/invoice.py`: the issued one in force, else
  the draft as it would be issued now): its 返礼品代 (the statements' 調達費用 of billed lines)
  → 調達; its 送料 → 送付; its 基本業務委託料 and the 消費税 on the operator's fees → 事務
  (受注者委託料); its 受領証明書等送付 → 事務 (受領証明書). Re-sends not billed are not a cost
  to the city. The invoice's 広告費控除 line is not read: see the next line.
- advertising the city paid a portal itself (`CityAdvertisement`, by its payment date) → 広報,
  and the same amount off the operator's fee (the invoice deducts it from the fee that
  included it [8(3)]): the city's total is unchanged, the 広報 share is shown.
- costs staff enter (`CostEntry`, by month): each kind below.
- Promotion activities the operator records (`PromotionActivity`) are paid out of its base fee
  [7(1)ア] and are not counted again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.oversight.models import CostKind


class Category(enum.StrEnum):
    PROCUREMENT = "procurement"  # 返礼品等の調達に係る費用
    SHIPPING = "shipping"  # 返礼品等の送付に係る費用
    PUBLICITY = "publicity"  # 広報に係る費用
    PAYMENT = "payment"  # 決済等に係る費用
    ADMIN = "admin"  # 事務に係る費用


CATEGORY_LABELS = {
    Category.PROCUREMENT: _l("返礼品等の調達に係る費用"),
    Category.SHIPPING: _l("返礼品等の送付に係る費用"),
    Category.PUBLICITY: _l("広報に係る費用"),
    Category.PAYMENT: _l("決済等に係る費用"),
    Category.ADMIN: _l("事務に係る費用"),
}


@dataclass(frozen=True)
class Item:
    key: str
    category: Category
    label: object  # a lazy string


# Every line of the breakdown, in the report's order. THE mapping: change it here only.
ITEMS: tuple[Item, ...] = (
    Item("gift_cost", Category.PROCUREMENT, _l("返礼品代（事業者の月次明細・請求書）")),
    Item("procurement_other", Category.PROCUREMENT, _l("その他の調達費用（入力）")),
    Item("gift_shipping", Category.SHIPPING, _l("送料（事業者の月次明細・請求書）")),
    Item("shipping_other", Category.SHIPPING, _l("その他の送付費用（入力）")),
    Item("city_ads", Category.PUBLICITY, _l("市が支払った広告費")),
    Item("advertising", Category.PUBLICITY, _l("広告費（入力）")),
    Item("payment_fee", Category.PAYMENT, _l("決済手数料（入力）")),
    Item("operator_fee", Category.ADMIN, _l("受注者の業務委託料（消費税込・広告費控除後）")),
    Item("portal_fee", Category.ADMIN, _l("ポータルサイト手数料（入力）")),
    Item("onestop", Category.ADMIN, _l("ワンストップ特例事務（入力）")),
    Item("receipt", Category.ADMIN, _l("受領証明書の発行・送付（請求書・入力）")),
    Item("admin_other", Category.ADMIN, _l("その他の事務費用（入力）")),
)
ITEM_BY_KEY = {item.key: item for item in ITEMS}

# The city invoice's sections → items (gift lines split into cost and shipping).
INVOICE_SECTION_ITEM = {"base": "operator_fee", "tax": "operator_fee", "mailing": "receipt"}
GIFT_COST_ITEM = "gift_cost"
GIFT_SHIPPING_ITEM = "gift_shipping"
CITY_ADS_ITEM = "city_ads"
CITY_ADS_DEDUCTED_ITEM = "operator_fee"

# What staff enter → items.
ENTRY_ITEM: dict[CostKind, str] = {
    CostKind.PORTAL_FEE: "portal_fee",
    CostKind.PAYMENT_FEE: "payment_fee",
    CostKind.ADVERTISING: "advertising",
    CostKind.ONESTOP: "onestop",
    CostKind.RECEIPT: "receipt",
    CostKind.PROCUREMENT_OTHER: "procurement_other",
    CostKind.SHIPPING_OTHER: "shipping_other",
    CostKind.ADMIN_OTHER: "admin_other",
}

COST_KIND_LABELS = {
    CostKind.PORTAL_FEE: _l("ポータルサイト手数料"),
    CostKind.PAYMENT_FEE: _l("決済手数料"),
    CostKind.ADVERTISING: _l("広告費"),
    CostKind.ONESTOP: _l("ワンストップ特例事務"),
    CostKind.RECEIPT: _l("受領証明書の発行・送付"),
    CostKind.PROCUREMENT_OTHER: _l("その他の調達費用"),
    CostKind.SHIPPING_OTHER: _l("その他の送付費用"),
    CostKind.ADMIN_OTHER: _l("その他の事務費用"),
}

# Projection: these categories grow with donations (a share of each donation: the gift, its
# parcel, the payment, the fees); 広報 is spent over time and is projected at its daily rate.
PROPORTIONAL = frozenset(
    {Category.PROCUREMENT, Category.SHIPPING, Category.PAYMENT, Category.ADMIN}
)
