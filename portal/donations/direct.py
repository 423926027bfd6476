"""Direct donations [6(1)イ]: staff enter a donation that came by bank transfer, 現金書留 or
納付書. Input is normalised (kana, widths, phone, postal code) the same way imports are."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.errors import DomainError
from portal.core.numbering import next_number
from portal.core.portals import Portal
from portal.crowdfunding.models import CrowdfundingProject, ProjectState
from portal.crowdfunding.projects import gift_less_error
from portal.donations import normalise as norm
from portal.donations.lifecycle import DonationData, LineData, create_donation
from portal.donations.models import Donation, PaymentMethod, PaymentState

if TYPE_CHECKING:
    from portal.accounts.models import User

DIRECT_METHODS = (
    PaymentMethod.BANK,
    PaymentMethod.POSTAL,
    PaymentMethod.CASH_REGISTERED,
    PaymentMethod.PAYMENT_SLIP,
    PaymentMethod.OTHER,
)


@dataclass
class DirectEntry:
    donor_name: str
    donor_kana: str
    postal_code: str
    address: str
    phone: str
    email: str
    amount: int
    applied_on: date
    payment_method: PaymentMethod
    paid_on: date | None = None
    purpose: str = ""
    onestop_requested: bool = False
    receipt_wanted: bool = True
    publish_name: bool = False
    disaster_relief: bool = False  # 災害支援 (e.g. a transfer to the city's relief account)
    project_id: int | None = None  # an open crowdfunding project (None: an ordinary donation)
    gift_code: str = ""
    quantity: int = 1


def enter_direct_donation(session: Session, entry: DirectEntry, *, by_user: User) -> Donation:
    name = norm.name(entry.donor_name)
    if not name:
        raise DomainError(_l("氏名を入力してください。"), field="donor_name")
    kana = norm.kana(entry.donor_kana)
    if kana and not re.fullmatch(r"[ァ-ヶー 　]+", kana):
        raise DomainError(_l("フリガナはカタカナで入力してください。"), field="donor_kana")
    postal = norm.postal_code(entry.postal_code)
    if postal and len(postal) != 7:
        raise DomainError(_l("郵便番号は7桁で入力してください。"), field="postal_code")
    phone = norm.phone(entry.phone)
    if phone and not 10 <= len(phone.replace("-", "")) <= 11:
        raise DomainError(_l("電話番号を確認してください。"), field="phone")
    if entry.amount <= 0:
        raise DomainError(_l("寄附金額は1円以上です。"), field="amount")
    if entry.payment_method not in DIRECT_METHODS:
        raise DomainError(_l("決済方法を選んでください。"), field="payment_method")
    project = None
    if entry.project_id is not None:
        project = session.get(CrowdfundingProject, entry.project_id)
        if project is None or project.state != ProjectState.OPEN:
            raise DomainError(_l("受付中のプロジェクトを選んでください。"), field="project_id")
        if project.gift_less and entry.gift_code.strip():
            raise gift_less_error()
    order_no = (
        f"D{entry.applied_on.year}-{next_number(session, 'direct', str(entry.applied_on.year)):05d}"
    )
    return create_donation(
        session,
        DonationData(
            portal=Portal.DIRECT,
            portal_order_no=order_no,
            donor_name=name,
            donor_kana=kana,
            postal_code=postal,
            address=norm.address(entry.address),
            phone=phone,
            email=norm.nfkc(entry.email).lower(),
            amount=entry.amount,
            applied_on=entry.applied_on,
            payment_method=entry.payment_method,
            payment_state=PaymentState.PAID if entry.paid_on else PaymentState.UNPAID,
            paid_on=entry.paid_on,
            purpose=entry.purpose,
            onestop_requested=entry.onestop_requested,
            receipt_wanted=entry.receipt_wanted,
            publish_name=entry.publish_name,
            disaster_relief=entry.disaster_relief,
            project=project.title if project else "",
            project_id=project.id if project else None,
            lines=[LineData(gift_code=norm.nfkc(entry.gift_code), quantity=entry.quantity)]
            if entry.gift_code.strip()
            else [],
        ),
        by_user=by_user,
    )
