"""Carriers: tracking-number rules, tracking pages, label CSVs and shipment-history CSVs.

Contract shared by the supplier screens (portal/web/supplier_orders.py) and this module.
"""

from __future__ import annotations

import enum


class Carrier(enum.StrEnum):
    YAMATO = "yamato"  # ヤマト運輸 (B2クラウド)
    SAGAWA = "sagawa"  # 佐川急便 (e飛伝)
    JAPAN_POST = "japanpost"  # 日本郵便 (ゆうプリR)
    OTHER = "other"  # その他


def validate_tracking(carrier: Carrier, raw: str) -> str:
    """The normalised tracking number (half-width digits, no hyphens), or DomainError."""
    raise NotImplementedError


def tracking_url(carrier: Carrier, number: str) -> str | None:
    """The carrier's public tracking page for this number (None for OTHER)."""
    raise NotImplementedError
