"""Two city staff decide the same proposal at the same moment: one wins, the other is told."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.errors import Conflict
from portal.core.roles import Role
from portal.extensions import db
from portal.gifts.models import Gift
from portal.gifts.proposal_models import Proposal, ProposalState
from portal.gifts.proposals import create_draft, transition

S = ProposalState


@pytest.mark.usefixtures("postgres_only")
def test_concurrent_approve_and_reject_one_wins(committed: Any, make_user: Any) -> None:
    supplier = make_user(Role.SUPPLIER)
    operator = make_user(Role.OPERATOR)
    cities = [make_user(Role.CITY), make_user(Role.CITY)]
    p = create_draft(
        db.session,
        {
            "name": "庄原産コシヒカリ 5kg",
            "criterion": "1",
            "required_amount": 12000,
            "procurement_cost": 3600,
            "shipping_fee": 1500,
            "temperature": "ambient",
            "origin_details": {"production_place": "広島県庄原市高野町"},
        },
        by_user=supplier,
    )
    transition(db.session, p.id, S.SUBMITTED, by_user=supplier)
    transition(db.session, p.id, S.UNDER_REVIEW, by_user=operator)
    transition(db.session, p.id, S.RECOMMENDED, by_user=operator)
    db.session.commit()
    pid, city_ids = p.id, [u.id for u in cities]

    app = committed
    barrier = threading.Barrier(2)
    outcome: dict[str, Any] = {}

    def decide(i: int, to: ProposalState) -> None:
        with app.app_context(), sa.orm.Session(db.engine) as s:
            user = s.get(User, city_ids[i])
            seen = s.get(Proposal, pid)
            assert seen is not None and seen.state == S.RECOMMENDED
            barrier.wait()
            try:
                transition(s, pid, to, by_user=user, comment="同時判断")
                s.commit()
                outcome[to.value] = "won"
            except Conflict as exc:
                s.rollback()
                outcome[to.value] = str(exc.message)

    threads = [
        threading.Thread(target=decide, args=(0, S.APPROVED)),
        threading.Thread(target=decide, args=(1, S.REJECTED)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcome.values()).count("won") == 1, outcome
    loser = next(v for v in outcome.values() if v != "won")
    assert "他の職員が先に" in loser
    with sa.orm.Session(db.engine) as s:
        final = s.get(Proposal, pid)
        assert final is not None
        winner = S(next(k for k, v in outcome.items() if v == "won"))
        assert final.state == winner
        gifts = s.scalar(sa.select(sa.func.count()).select_from(Gift))
        assert gifts == (1 if winner == S.APPROVED else 0)
