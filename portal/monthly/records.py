"""What staff record for the month: city-paid advertising [8(3)], gift articles [7(1)オ] and
promotion activities [7(1)カ]."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.errors import DomainError, PermissionDenied
from portal.core.portals import Portal
from portal.core.roles import can_prepare_monthly
from portal.monthly.models import CityAdvertisement, GiftArticle, PromotionActivity
from portal.statements.service import month_range

if TYPE_CHECKING:
    from portal.accounts.models import User

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def _may(by_user: User | None) -> None:
    if by_user is not None and not can_prepare_monthly(by_user):
        raise PermissionDenied(_l("この記録をつけられるのは運営事務局の職員だけです。"))


def _text(value: str | None, field: str, message: object, max_len: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    if len(value) > max_len:
        raise DomainError(_l("%(n)d文字以内で入力してください。", n=max_len), field=field)
    return value


def add_advertisement(
    session: Session,
    *,
    paid_on: date,
    amount: int,
    description: str,
    portal: Portal | str | None = None,
    evidence_ref: str = "",
    evidence_name: str = "",
    evidence_type: str = "",
    evidence_data: bytes | None = None,
    by_user: User | None,
) -> CityAdvertisement:
    """The city reports an advertisement it paid itself, with its evidence (a reference such as
    the portal's bill number, or the bill as a PDF/image, or both)."""
    _may(by_user)
    if amount is None or amount <= 0:
        raise DomainError(_l("金額は1円以上で入力してください。"), field="amount")
    description = _text(description, "description", _l("内容を入力してください。"), 300)
    evidence_ref = (evidence_ref or "").strip()[:200]
    if evidence_data:
        if len(evidence_data) > EVIDENCE_MAX_BYTES:
            raise DomainError(_l("ファイルは10MB以下にしてください。"), field="evidence")
        if evidence_type not in EVIDENCE_TYPES:
            raise DomainError(
                _l("証拠書類は PDF・PNG・JPEG で添付してください。"), field="evidence"
            )
    if not evidence_ref and not evidence_data:
        raise DomainError(
            _l("証拠（請求書番号などの参照か、請求書のファイル）を入力してください。"),
            field="evidence_ref",
        )
    ad = CityAdvertisement(
        paid_on=paid_on, amount=amount, description=description,
        portal=Portal(portal) if portal else None, evidence_ref=evidence_ref,
        evidence_name=(evidence_name or "")[:200] if evidence_data else "",
        evidence_type=evidence_type if evidence_data else "", evidence_data=evidence_data or None,
        recorded_by_id=by_user.id if by_user else None,
    )  # fmt: skip
    session.add(ad)
    session.flush()
    return ad


def advertisements(session: Session) -> list[CityAdvertisement]:
    return list(
        session.scalars(
            sa.select(CityAdvertisement).order_by(
                CityAdvertisement.paid_on.desc(), CityAdvertisement.id.desc()
            )
        )
    )


def add_article(
    session: Session,
    *,
    title: str,
    published_on: date,
    portal: Portal | str | None = None,
    url: str = "",
    by_user: User | None,
) -> GiftArticle:
    _may(by_user)
    title = _text(title, "title", _l("記事の題名を入力してください。"), 200)
    url = (url or "").strip()
    if url and not url.startswith(("https://", "http://")):
        raise DomainError(_l("URL は https:// から入力してください。"), field="url")
    article = GiftArticle(
        title=title, published_on=published_on, portal=Portal(portal) if portal else None,
        url=url[:500], recorded_by_id=by_user.id if by_user else None,
    )  # fmt: skip
    session.add(article)
    session.flush()
    return article


def add_promotion(
    session: Session,
    *,
    what: str,
    done_on: date,
    medium: str,
    cost: int = 0,
    reach: int | None = None,
    donations_count: int | None = None,
    donations_amount: int | None = None,
    effect: str = "",
    by_user: User | None,
) -> PromotionActivity:
    _may(by_user)
    what = _text(what, "what", _l("実施した内容を入力してください。"), 200)
    medium = _text(medium, "medium", _l("媒体を入力してください。"), 100)
    for value, name in (
        (cost, "cost"), (reach, "reach"), (donations_count, "donations_count"),
        (donations_amount, "donations_amount"),
    ):  # fmt: skip
        if value is not None and value < 0:
            raise DomainError(_l("0以上の数を入力してください。"), field=name)
    activity = PromotionActivity(
        what=what, done_on=done_on, medium=medium, cost=cost or 0, reach=reach,
        donations_count=donations_count, donations_amount=donations_amount,
        effect=(effect or "").strip(), recorded_by_id=by_user.id if by_user else None,
    )  # fmt: skip
    session.add(activity)
    session.flush()
    return activity


def articles_in(session: Session, month: str) -> list[GiftArticle]:
    start, end = month_range(month)
    return list(
        session.scalars(
            sa.select(GiftArticle)
            .where(GiftArticle.published_on >= start, GiftArticle.published_on < end)
            .order_by(GiftArticle.published_on, GiftArticle.id)
        )
    )


def promotions_in(session: Session, month: str) -> list[PromotionActivity]:
    start, end = month_range(month)
    return list(
        session.scalars(
            sa.select(PromotionActivity)
            .where(PromotionActivity.done_on >= start, PromotionActivity.done_on < end)
            .order_by(PromotionActivity.done_on, PromotionActivity.id)
        )
    )
