"""Order and receipt state machines: one transition table each, one function that moves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError
from portal.core.timeline import TimelineEvent
from portal.gifts.proposal_models import TRANSITIONS, ProposalEvent
from portal.receipts import service
from portal.receipts.models import RECEIPT_TRANSITIONS, ReceiptStatus
from portal.shipping.models import ORDER_TRANSITIONS, OrderStatus
from portal.shipping.orders import move_order
from tests.unit.test_receipts import paid

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _kinds(session, donation_id: int) -> list[str]:
    return list(
        session.scalars(
            sa.select(TimelineEvent.kind)
            .where(TimelineEvent.subject_id == donation_id)
            .order_by(TimelineEvent.id)
        )
    )


def test_every_state_has_a_row_in_its_table():
    assert set(ORDER_TRANSITIONS) == set(OrderStatus)
    assert set(RECEIPT_TRANSITIONS) == set(ReceiptStatus)
    for state in {to for _, to in TRANSITIONS}:
        assert ProposalEvent.moved_to(state)


def test_an_order_moves_only_along_its_table_and_says_so_on_the_timeline(
    session, make_gift, make_order
):
    order = make_order(make_gift())
    with pytest.raises(DomainError):
        move_order(session, order, OrderStatus.DELIVERED)  # not shipped yet
    assert move_order(session, order, OrderStatus.SHIPPED) == OrderStatus.SHIPPED
    assert order.status == OrderStatus.SHIPPED and order.shipped_at is not None
    session.expire_all()
    assert order.status == OrderStatus.SHIPPED  # in the database too
    with pytest.raises(DomainError):
        move_order(session, order, OrderStatus.CANCELLED)  # a shipped order stays shipped
    move_order(session, order, OrderStatus.DELIVERED)
    assert _kinds(session, order.line.donation_id)[-2:] == ["order.shipped", "order.delivered"]


def test_a_move_made_meanwhile_by_someone_else_is_not_overwritten(session, make_gift, make_order):
    order = make_order(make_gift())
    session.execute(
        sa.update(type(order)).where(type(order).id == order.id).values(status="cancelled")
    )
    # This session still believes the order is ORDERED.
    with pytest.raises(DomainError):
        move_order(session, order, OrderStatus.SHIPPED)
    assert order.status == OrderStatus.CANCELLED
    assert "order.shipped" not in _kinds(session, order.line.donation_id)


def test_a_receipt_moves_only_along_its_table(session):
    receipt = service.issue_receipt(session, paid(session, "SM-1"))
    assert receipt.status == ReceiptStatus.DUE
    with pytest.raises(DomainError):
        service.move_receipt(session, receipt, ReceiptStatus.MAILED)  # never printed
    service.move_receipt(session, receipt, ReceiptStatus.ISSUED)
    service.move_receipt(session, receipt, ReceiptStatus.MAILED)
    with pytest.raises(DomainError):
        service.move_receipt(session, receipt, ReceiptStatus.ISSUED)


def test_status_is_set_only_by_the_move_functions():
    """`order.status = …` / `receipt.status = …` anywhere else would skip the table."""
    allowed = {PORTAL / "receipts" / "service.py"}  # move_receipt itself
    found = []
    for path in PORTAL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if (
                        isinstance(t, ast.Attribute)
                        and t.attr == "status"
                        and isinstance(t.value, ast.Name)
                        and t.value.id in {"order", "receipt"}
                        and path not in allowed
                    ):
                        found.append(f"{path.relative_to(PORTAL)}:{node.lineno}")
    assert found == []


def test_timeline_kinds_are_enums_not_bare_strings():
    """Every record_event(…) names its kind through an enum beside the model."""
    found = []
    for path in PORTAL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "record_event"
                and len(node.args) >= 4
                and isinstance(node.args[3], ast.Constant | ast.JoinedStr)
            ):
                found.append(f"{path.relative_to(PORTAL)}:{node.lineno}")
    assert found == []
