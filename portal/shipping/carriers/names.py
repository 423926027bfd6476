"""The carriers we know by name, and how suppliers write their names in a CSV."""

from __future__ import annotations

import enum
import unicodedata

from flask_babel import lazy_gettext as _l


class Carrier(enum.StrEnum):
    YAMATO = "yamato"  # ヤマト運輸 (B2クラウド)
    SAGAWA = "sagawa"  # 佐川急便 (e飛伝)
    JAPAN_POST = "japanpost"  # 日本郵便 (ゆうプリR)
    OTHER = "other"  # その他


CARRIER_LABELS = {
    Carrier.YAMATO: _l("ヤマト運輸"),
    Carrier.SAGAWA: _l("佐川急便"),
    Carrier.JAPAN_POST: _l("日本郵便"),
    Carrier.OTHER: _l("その他"),
}

# What suppliers type in the 配送業者 column of our simple CSV (compared after NFKC + lower()).
_CARRIER_NAMES = {
    Carrier.YAMATO: ("ヤマト運輸", "ヤマト", "クロネコヤマト", "yamato"),
    Carrier.SAGAWA: ("佐川急便", "佐川", "sagawa"),
    Carrier.JAPAN_POST: ("日本郵便", "ゆうパック", "郵便", "japanpost", "japan post"),
    Carrier.OTHER: ("その他", "other"),
}


def carrier_from_name(text: str) -> Carrier | None:
    key = unicodedata.normalize("NFKC", text or "").strip().lower()
    for carrier, names in _CARRIER_NAMES.items():
        if key in names:
            return carrier
    return None
