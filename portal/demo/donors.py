"""Demo donor requests in every state, and one donation a visitor can look up (idempotent)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.timeline import TimelineEvent
from portal.donations.models import Donation, DonationLine, DonationState
from portal.donations.normalise import digits
from portal.donors import requests as donor_requests
from portal.donors.models import DonorRequest, ReissueReason, RequestKind, RequestStatus
from portal.shipping.models import Order, OrderStatus

if TYPE_CHECKING:
    from portal.demo.programme import Context


def _candidates(session: Session, limit: int) -> list[Donation]:
    """Paid donations with an order not yet shipped and a postal code, oldest number first."""
    return list(
        session.scalars(
            sa.select(Donation)
            .join(DonationLine)
            .join(Order)
            .where(
                Donation.state == DonationState.PAID,
                Donation.postal_code != "",
                Order.status == OrderStatus.ORDERED,
            )
            .order_by(Donation.donation_no)
            .distinct()
            .limit(limit)
        )
    )


def showcase(session: Session) -> Donation | None:
    """The donation printed by `flask seed-demo` for visitors: paid, with a gift ordered or
    shipped, no demo request on it; one with a receipt issued when there is one."""
    receipt_issued = (
        sa.exists()
        .where(
            TimelineEvent.subject_type == "donation",
            TimelineEvent.subject_id == Donation.id,
            TimelineEvent.kind == "receipt.issued",
        )
        .correlate(Donation)
    )
    return session.scalar(
        sa.select(Donation)
        .where(
            Donation.state == DonationState.PAID,
            Donation.postal_code != "",
            sa.or_(Donation.phone != "", Donation.donor_kana != ""),  # the second factor
            Donation.lines.any(DonationLine.orders.any()),
            ~sa.exists().where(DonorRequest.donation_id == Donation.id),
        )
        .order_by(receipt_issued.desc(), Donation.donation_no)
        .limit(1)
    )


def hint(session: Session) -> str | None:
    d = showcase(session)
    if d is None:
        return None
    return (
        f"  donor           /donor/  寄附受付番号 {d.donation_no}  郵便番号 "
        f"{d.postal_code[:3]}-{d.postal_code[3:]}  電話番号の下4桁/フリガナ {second_factor(d)}"
    )


def second_factor(d: Donation) -> str:
    """What the showcase donor types as the look-up's second factor."""
    phone = digits(d.phone)
    return phone[-4:] if len(phone) >= 4 else d.donor_kana


def seed(session: Session, ctx: Context) -> None:
    if session.scalar(sa.select(sa.func.count()).select_from(DonorRequest)):
        return
    operator = ctx.users["operator"]
    donations = _candidates(session, 6)[1:]  # leave the first for the visitors' showcase
    if len(donations) < 4:
        return

    def ask(d: Donation, kind: RequestKind, **kw: Any) -> DonorRequest:
        req, _ = donor_requests.open_request(session, d, kind, **kw)
        return req

    a, b, c, e = donations[:4]
    ask(
        a,
        RequestKind.MAIL_ADDRESS,
        details=donor_requests.Details(a.donor_name, "7270011", "広島県庄原市東本町1-1-1"),
        note="年末は実家におります。",
    )
    ask(b, RequestKind.RECEIPT_REISSUE, reason=ReissueReason.LOST)  # open
    approved = ask(
        c,
        RequestKind.DELIVERY_ADDRESS,
        details=donor_requests.Details(c.donor_name, "7270021", "広島県庄原市三日市町4-4"),
    )
    donor_requests.decide(session, approved, RequestStatus.APPROVED, by_user=operator)
    corrected = ask(
        e,
        RequestKind.MAIL_ADDRESS,
        details=donor_requests.Details(e.donor_name, "7270012", "庄原市中本町1-2"),
    )
    donor_requests.decide(
        session,
        corrected,
        RequestStatus.CORRECTED,
        by_user=operator,
        staff_note="都道府県名と番地を確認して補いました。",
        details=donor_requests.Details(e.donor_name, "7270012", "広島県庄原市中本町一丁目1-2"),
    )
    if len(donations) > 4:
        refused = ask(
            donations[4],
            RequestKind.MAIL_ADDRESS,
            details=donor_requests.Details(donations[4].donor_name, "1000001", "東京都千代田区1"),
        )
        donor_requests.decide(
            session,
            refused,
            RequestStatus.REFUSED,
            by_user=operator,
            staff_note="ご本人確認ができなかったため、お電話でご連絡します。",
        )
    session.flush()
