"""Demo monthly cycle: the contract's rates for this fiscal year, one advertisement the city
paid itself, a gift article and a promotion in the month before this one — so the invoice and
the business report of that month have every kind of line. Idempotent (looked up by date and
description before creating)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import today_jst
from portal.core.portals import Portal
from portal.monthly import contract, records
from portal.monthly.models import CityAdvertisement, ContractRate, GiftArticle, PromotionActivity
from portal.monthly.report import fiscal_start

if TYPE_CHECKING:
    from portal.demo.programme import Context


def seed(session: Session, ctx: Context) -> None:
    operator = ctx.users["operator"]
    today = today_jst()
    last_month = today.replace(day=1) - timedelta(days=1)
    start = fiscal_start(last_month)
    if session.scalar(sa.select(ContractRate.id).where(ContractRate.valid_from == start)) is None:
        contract.add_rate(
            session, valid_from=start, base_rate_bp=1200, no_gift_rate_bp=500,
            crowdfunding_rate_bp=800, mailing_unit_price=95, mailing_in_base=False,
            tax_rate_percent=10, note="見積書 R8-001", by_user=operator,
        )  # fmt: skip
    on = last_month.replace(day=min(18, last_month.day))
    if (
        session.scalar(sa.select(CityAdvertisement.id).where(CityAdvertisement.paid_on == on))
        is None
    ):
        records.add_advertisement(
            session, paid_on=on, amount=55000, description="楽天ふるさと納税 特集バナー掲載",
            portal=Portal.RAKUTEN, evidence_ref="RK-請求-1118", by_user=operator,
        )  # fmt: skip
    if session.scalar(sa.select(GiftArticle.id).where(GiftArticle.published_on == on)) is None:
        records.add_article(
            session, title="比婆牛ができるまで ― 牧場を訪ねて", published_on=on,
            portal=Portal.CHOICE, url="https://example.jp/articles/hiba-beef", by_user=operator,
        )  # fmt: skip
    if (
        session.scalar(sa.select(PromotionActivity.id).where(PromotionActivity.done_on == on))
        is None
    ):
        records.add_promotion(
            session, what="年末の寄附を呼びかける新聞広告", done_on=on, medium="中国新聞（県北版）",
            cost=88000, reach=42000, donations_count=31, donations_amount=520000,
            effect="掲載後1週間の寄附件数が前週の1.4倍", by_user=operator,
        )  # fmt: skip
