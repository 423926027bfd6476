"""Demo proposals from S001 in every state of the review workflow (idempotent by name)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.gifts.proposal_models import Proposal
from portal.gifts.proposal_models import ProposalState as S
from portal.gifts.proposals import create_draft, transition

if TYPE_CHECKING:
    from portal.demo.programme import Context

STEPS = [{"step": "熟成", "place": "庄原市", "share": 60}]
MEAT = [{"material": "比婆牛", "origin": "広島県庄原市", "share": 100}]

# name, values, path of (state, role, comment)
DEMOS: list[tuple[str, dict[str, Any], list[tuple[S, str, str]]]] = [
    ("【提案】比婆牛 熟成サーロイン（下書き）", {}, []),
    ("【提案】比婆牛 熟成ヒレ", {}, [(S.SUBMITTED, "supplier", "")]),
    (
        "【提案】比婆牛 熟成ランプ",
        {},
        [(S.SUBMITTED, "supplier", ""), (S.UNDER_REVIEW, "operator", "")],
    ),
    (
        "【提案】比婆牛 熟成モモ",
        {},
        [
            (S.SUBMITTED, "supplier", ""),
            (S.UNDER_REVIEW, "operator", ""),
            (S.CHANGES_REQUESTED, "operator", "熟成日数を説明に書いてください。"),
        ],
    ),
    (
        "【提案】比婆牛 熟成カタ",
        {},
        [
            (S.SUBMITTED, "supplier", ""),
            (S.UNDER_REVIEW, "operator", ""),
            (S.CHANGES_REQUESTED, "operator", "アレルギー表示を追加してください。"),
            (S.RESUBMITTED, "supplier", "追記しました。"),
        ],
    ),
    (
        "【提案】比婆牛 熟成バラ",
        {},
        [
            (S.SUBMITTED, "supplier", ""),
            (S.UNDER_REVIEW, "operator", ""),
            (S.RECOMMENDED, "operator", "基準・3割とも問題ありません。"),
        ],
    ),
    (
        "【提案】比婆牛 熟成ロース",
        {},
        [
            (S.SUBMITTED, "supplier", ""),
            (S.UNDER_REVIEW, "operator", ""),
            (S.RECOMMENDED, "operator", ""),
            (S.APPROVED, "city", "承認します。"),
        ],
    ),
    (
        "【提案】比婆牛 熟成スネ",
        {},
        [
            (S.SUBMITTED, "supplier", ""),
            (S.UNDER_REVIEW, "operator", ""),
            (S.RECOMMENDED, "operator", ""),
            (S.REJECTED, "city", "既存の返礼品と重複するため。"),
        ],
    ),
]


def seed(session: Session, ctx: Context) -> None:
    users = ctx.users
    supplier = users.get("supplier")
    if supplier is None or supplier.supplier_id is None:
        return
    for name, extra, path in DEMOS:
        exists = session.scalar(
            sa.select(Proposal.id).where(
                Proposal.supplier_id == supplier.supplier_id, Proposal.name == name
            )
        )
        if exists:
            continue
        values = {
            "name": name,
            "description": "庄原市で育った比婆牛を市内の工房で熟成させました。",
            "contents": "500g",
            "allergens": "牛肉",
            "best_before": "冷凍で発送から30日",
            "temperature": "frozen",
            "size": 80,
            "required_amount": 30000,
            "procurement_cost": 9000,
            "shipping_fee": 1800,
            "capacity_per_month": 30,
            "criterion": "3i",
            "materials": MEAT,
            "steps": STEPS,
            **extra,
        }
        p = create_draft(session, values, by_user=supplier)
        for to, role, comment in path:
            transition(session, p.id, to, by_user=users[role], comment=comment)
