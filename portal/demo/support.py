"""Demo data for the desk: FAQ, canned replies, a few conversations (idempotent)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.support import canned, conversations, faq, hours
from portal.support.models import CannedReply, Category, Conversation, CustomerKind, DeskDay

if TYPE_CHECKING:
    from portal.demo.programme import Context

CANNED = [
    (
        "受領証明書の発送",
        "{donor_name} 様\nお問い合わせありがとうございます。寄附番号 {donation_no} の"
        "寄附金受領証明書は、ご入金確認後1か月ほどで郵送します。",
    ),
    (
        "事業者への確認",
        "{supplier_name} 様\nご連絡ありがとうございます。内容を確認し、折り返しご連絡します。",
    ),
]


def seed(session: Session, ctx: Context) -> None:
    faq.seed(session)
    for title, body in CANNED:
        if session.scalar(sa.select(CannedReply.id).where(CannedReply.title == title)) is None:
            canned.add_canned_reply(session, title, body)
    # Golden Week days the city closes beyond the national holidays (example: 2027-04-30).
    for d in (date(2027, 4, 30),):
        if session.scalar(sa.select(DeskDay.id).where(DeskDay.day == d)) is None:
            hours.set_desk_day(
                session,
                d,
                is_open=False,
                note="ゴールデンウィーク休業",
                by_user=ctx.users.get("operator"),
            )
    supplier = ctx.suppliers.get("S001")
    if (
        supplier is not None
        and session.scalar(
            sa.select(Conversation.id).where(Conversation.supplier_id == supplier.id)
        )
        is None
    ):
        conversations.start_conversation(
            session,
            customer_kind=CustomerKind.SUPPLIER,
            supplier_id=supplier.id,
            subject="年末の発送について",
            body="12月28日以降の注文分は年明けの発送でもよいでしょうか。",
            category=Category.DELIVERY,
            by_user=ctx.users.get("supplier"),
        )
    session.flush()
