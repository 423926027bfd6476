"""A gift's listing on each portal: the portal's own item ID (and URL, and チョイス's 管理コード).

A gift has its own code (HB-001); each portal numbers its listing in its own way — さとふる's
お礼品ID is numeric (4809357), チョイス has an お礼の品ID and a 管理コード, 楽天 a 商品管理番号.
An import resolves a line's item ID through this table for the file's portal and falls back
to our own gift code (`resolver`). One listing per gift and portal; an ID names one gift on
its portal. Every change is audited (who mapped which ID to which gift).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.accounts.models import User
from portal.core.audit import audit
from portal.core.errors import DomainError
from portal.core.models import TimestampMixin
from portal.core.portals import Portal
from portal.extensions import Model
from portal.gifts.models import Gift

# The portals a gift is listed on (the city's own channels use our gift code).
LISTING_PORTALS = (
    Portal.CHOICE,
    Portal.RAKUTEN,
    Portal.FURUNAVI,
    Portal.JAL,
    Portal.SATOFULL,
)


class GiftListing(TimestampMixin, Model):
    __tablename__ = "gift_listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"), index=True)
    portal: Mapped[str] = mapped_column(sa.String(16))  # a core.portals.Portal value
    item_id: Mapped[str] = mapped_column(sa.String(64))  # the portal's ID of the listing
    manage_code: Mapped[str] = mapped_column(sa.String(64), default="")  # チョイス 管理コード
    url: Mapped[str] = mapped_column(sa.String(500), default="")

    gift: Mapped[Gift] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("gift_id", "portal"),
        sa.UniqueConstraint("portal", "item_id"),
    )


@dataclass
class ListingData:
    item_id: str
    url: str = ""
    manage_code: str = ""


def listings_of(session: Session, gift: Gift) -> dict[str, GiftListing]:
    rows = session.scalars(sa.select(GiftListing).where(GiftListing.gift_id == gift.id))
    return {row.portal: row for row in rows}


def _taken(session: Session, portal: str, value: str, gift: Gift) -> Gift | None:
    """The other gift whose listing on `portal` already uses `value` as its ID or 管理コード."""
    other = session.scalar(
        sa.select(GiftListing).where(
            GiftListing.portal == portal,
            GiftListing.gift_id != gift.id,
            sa.or_(GiftListing.item_id == value, GiftListing.manage_code == value),
        )
    )
    return other.gift if other is not None else None


def set_listing(
    session: Session,
    gift: Gift,
    portal: Portal | str,
    data: ListingData | None,
    *,
    by_user: User | None,
    replace: bool = True,
) -> GiftListing | None:
    """Create, change or (data None / empty ID) remove the gift's listing on a portal.
    `replace=False` (mapping an ID from an import's preview) refuses to change a listing the
    gift has already: that gift is listed under another ID, so this ID is likely another gift."""
    portal = Portal(portal)
    if portal not in LISTING_PORTALS:
        raise DomainError(_l("このポータルには掲載IDを登録できません。"), field="portal")
    current = listings_of(session, gift).get(portal.value)
    item_id = (data.item_id if data else "").strip()
    if not item_id:
        if current is not None:
            session.delete(current)
            audit(
                session,
                actor=by_user,
                action="delete",
                subject_type="gift_listing",
                subject_id=gift.id,
                detail=f"{portal.value} {current.item_id}",
            )
            session.flush()
        return None
    assert data is not None
    if not replace and current is not None and current.item_id != item_id:
        raise DomainError(
            _l(
                "返礼品 %(code)s にはこのポータルの掲載ID %(id)s が登録されています。変えるときは返礼品の画面で変更してください。",
                code=gift.code,
                id=current.item_id,
            ),
            field="item_id",
        )
    manage_code = data.manage_code.strip()
    for value, fld in ((item_id, "item_id"), (manage_code, "manage_code")):
        other = _taken(session, portal.value, value, gift) if value else None
        if other is not None:
            raise DomainError(
                _l(
                    "ID %(id)s は返礼品 %(code)s の掲載に使われています。",
                    id=value,
                    code=other.code,
                ),
                field=fld,
            )
    if current is None:
        current = GiftListing(gift_id=gift.id, portal=portal.value, item_id=item_id)
        session.add(current)
        action = "create"
    else:
        action = "update"
    before = (current.item_id, current.manage_code, current.url)
    current.item_id, current.manage_code, current.url = item_id, manage_code, data.url.strip()
    if action == "create" or before != (current.item_id, current.manage_code, current.url):
        audit(
            session,
            actor=by_user,
            action=action,
            subject_type="gift_listing",
            subject_id=gift.id,
            detail=f"{portal.value} {item_id}"[:255],
        )
    session.flush()
    return current


def resolver(session: Session, portal: Portal | str) -> dict[str, str]:
    """Item ID (and 管理コード) on this portal → our gift code, for the importer."""
    rows = session.execute(
        sa.select(GiftListing.item_id, GiftListing.manage_code, Gift.code)
        .join(Gift, Gift.id == GiftListing.gift_id)
        .where(GiftListing.portal == str(Portal(portal).value))
    )
    found: dict[str, str] = {}
    for item_id, manage_code, code in rows:
        found[item_id] = code
        if manage_code:
            found.setdefault(manage_code, code)
    return found
