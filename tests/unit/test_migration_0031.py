"""Migration 0031 writes the recipient's normalised name for donations already stored, so the
supplier's order list finds an order imported before the upgrade by its recipient."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from tests.conftest import database_at, insert_stored_donations


def test_existing_recipients_are_backfilled(tmp_path) -> None:
    with database_at(tmp_path, "0023"):
        insert_stored_donations(
            [
                {"id": 1, "donation_no": "2026-000001", "portal_order_no": "A1",
                 "donor_name": "山田 花子", "delivery_name": "𠮷田　一二三"},
                {"id": 2, "donation_no": "2026-000002", "portal_order_no": "A2",
                 "donor_name": "髙橋 一郎", "delivery_name": ""},
            ]
        )  # fmt: skip
        upgrade()
        with db.engine.connect() as conn:
            got = conn.execute(sa.text("SELECT search_delivery FROM donation ORDER BY id")).all()
        assert [r[0] for r in got] == ["吉田一二三", ""]
        downgrade(revision="0023")
        with db.engine.connect() as conn:
            names = {c["name"] for c in sa.inspect(conn).get_columns("donation")}
        assert "search_delivery" not in names and "search_name" in names
