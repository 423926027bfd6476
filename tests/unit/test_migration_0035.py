"""Migration 0035 gives every stored shipment its order's supplier, so the supplier dashboard's
「今月発送した件数」 counts the parcels shipped before the upgrade, each for its own supplier."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from portal.shipping import dashboard
from tests.conftest import database_at, insert_stored, insert_stored_donations


def test_stored_shipments_get_their_orders_supplier(tmp_path) -> None:
    with database_at(tmp_path, "0031"):
        insert_stored("supplier", [{"id": 1, "code": "S1"}, {"id": 2, "code": "S2"}])
        insert_stored(
            "gift",
            [
                {
                    "id": k,
                    "code": f"G{k}",
                    "supplier_id": k,
                    "temperature": "ambient",
                    "status": "listed",
                }
                for k in (1, 2)
            ],
        )
        insert_stored_donations([{"id": 1, "donation_no": "2026-000001", "portal_order_no": "A1"}])
        insert_stored(
            "donation_line",
            [{"id": k, "donation_id": 1, "position": k, "gift_id": k} for k in (1, 2)],
        )
        insert_stored(
            "gift_order",
            [
                {"id": 1, "line_id": 1, "supplier_id": 1, "status": "shipped"},
                {"id": 2, "line_id": 2, "supplier_id": 2, "status": "shipped"},
            ],
        )
        insert_stored(
            "shipment",
            [
                {"id": 7, "order_id": 1, "carrier": "yamato", "shipped_on": date(2026, 12, 1)},
                {"id": 8, "order_id": 2, "carrier": "yamato", "shipped_on": date(2026, 12, 2)},
            ],
        )
        upgrade()
        with db.engine.connect() as conn:
            got = conn.execute(sa.text("SELECT id, supplier_id FROM shipment ORDER BY id")).all()
        assert [tuple(r) for r in got] == [(7, 1), (8, 2)]
        board = dashboard.supplier_dashboard(db.session, 1, date(2026, 12, 2))
        assert board.shipped_month == 1
        db.session.rollback()
        downgrade(revision="0031")
        with db.engine.connect() as conn:
            names = {c["name"] for c in sa.inspect(conn).get_columns("shipment")}
        assert "supplier_id" not in names and "order_id" in names
