"""Demo donations: a season across every portal in Shobara's FY2024 proportions
(チョイス 23.8%, 楽天 26.2%, さとふる 36.6%, others 4.4% — and the rest: ふるなび, JAL, direct),
with every state represented: received, paid (ordered), shipped, cancelled, and held lines.
The older paid ones are shipped here already, through confirm_shipment, so the donor
requests that follow see the orders that still wait."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import today_jst
from portal.core.portals import Portal
from portal.demo import shipping
from portal.donations.lifecycle import (
    DonationData,
    LineData,
    cancel_donation,
    create_donation,
    mark_paid,
)
from portal.donations.models import Donation, PaymentMethod, PaymentState
from portal.gifts.models import Gift, GiftStatus
from portal.gifts.stock import set_allocation

if TYPE_CHECKING:
    from portal.demo.programme import Context

TOTAL = 240
# Shares of FY2024: satofull 36.6, rakuten 26.2, choice 23.8; the remaining 13.4 split here.
SHARES = [
    (Portal.SATOFULL, 36.6),
    (Portal.RAKUTEN, 26.2),
    (Portal.CHOICE, 23.8),
    (Portal.FURUNAVI, 5.0),
    (Portal.JAL, 4.0),
    (Portal.DIRECT, 4.4),
]
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN = [
    ("花子", "ハナコ"),
    ("太郎", "タロウ"),
    ("美咲", "ミサキ"),
    ("健", "ケン"),
    ("翔", "ショウ"),
]
KANA = {
    "佐藤": "サトウ",
    "鈴木": "スズキ",
    "高橋": "タカハシ",
    "田中": "タナカ",
    "伊藤": "イトウ",
    "渡辺": "ワタナベ",
    "山本": "ヤマモト",
    "中村": "ナカムラ",
    "小林": "コバヤシ",
    "加藤": "カトウ",
}
PURPOSES = ["産業振興", "子育て・教育", "健康・福祉", "環境・景観", "市長におまかせ"]


def seed(session: Session, _ctx: Context) -> None:
    if session.scalar(sa.select(sa.func.count()).select_from(Donation)):
        return  # idempotent: the season is seeded once
    gifts = list(
        session.scalars(sa.select(Gift).where(Gift.status == GiftStatus.LISTED).order_by(Gift.code))
    )
    if not gifts:
        return
    rng = random.Random(2024)
    # One gift counted per portal with a small allocation, so the 在庫超過 queue has entries.
    scarce = gifts[0]
    for portal, _share in SHARES:
        set_allocation(session, scarce.id, portal.value, 2, low_threshold=1, note="demo")
    for gift in gifts[1:]:
        if gift.limited_quantity:  # 数量限定: split across portals by their share
            for portal, share in SHARES:
                set_allocation(
                    session,
                    gift.id,
                    portal.value,
                    max(1, round(gift.limited_quantity * share / 100)),
                    low_threshold=1,
                    note="demo",
                )
    portals = [p for p, _ in SHARES]
    weights = [w for _, w in SHARES]
    # The season runs up to the day the demo is seeded (never a donation dated in the future):
    # ten weeks back from today, so receipts, orders and deadlines look like a live programme.
    today = today_jst()
    start = today - timedelta(days=70)
    shipped = 0
    for i in range(TOTAL):
        portal = rng.choices(portals, weights)[0]
        surname, (given, gkana) = rng.choice(SURNAMES), rng.choice(GIVEN)
        picked = rng.sample(gifts, k=2 if rng.random() < 0.15 else 1)
        if rng.random() < 0.06:
            picked = [scarce]
        amount = sum(g.required_amount for g in picked)
        applied = start + timedelta(days=rng.randrange(0, 71))
        method = (
            rng.choice(
                [PaymentMethod.BANK, PaymentMethod.CASH_REGISTERED, PaymentMethod.PAYMENT_SLIP]
            )
            if portal == Portal.DIRECT
            else rng.choices([PaymentMethod.CARD, PaymentMethod.BANK], [9, 1])[0]
        )
        paid_now = method == PaymentMethod.CARD
        donation = create_donation(
            session,
            DonationData(
                portal=portal,
                portal_order_no=f"DEMO-{portal.value}-{i:05d}",
                donor_name=f"{surname} {given}",
                donor_kana=f"{KANA[surname]} {gkana}",
                postal_code="7270011",
                address=f"広島県庄原市東本町{i % 9 + 1}-{i % 7 + 1}",
                phone=f"0824-72-{i:04d}",
                email=f"donor{i}@demo.example",
                amount=amount,
                applied_on=applied,
                payment_method=method,
                payment_state=PaymentState.PAID if paid_now else PaymentState.UNPAID,
                paid_on=applied if paid_now else None,
                purpose=rng.choice(PURPOSES),
                onestop_requested=rng.random() < 0.4,
                receipt_wanted=rng.random() < 0.9,
                publish_name=rng.random() < 0.2,
                lines=[LineData(gift_code=g.code) for g in picked],
            ),
        )
        roll = rng.random()
        if not paid_now and roll < 0.6:
            mark_paid(session, donation, min(applied + timedelta(days=rng.randrange(1, 8)), today))
        if roll < 0.03:
            cancel_donation(session, donation, "デモ：寄附者からの取消")
        elif donation.state.value == "paid" and roll > 0.7 and applied < today - timedelta(days=10):
            for line in donation.lines:  # shipped by now, as its supplier would confirm it
                for order in line.orders:
                    shipped += 1
                    shipping.ship(session, order, shipped, shipping.early_date(order, shipped))
    session.flush()
