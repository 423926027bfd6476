"""Migration 0023 backfills the search columns of donations already stored (in batches), so a
caller's donation imported before the upgrade is found by name, kana and phone."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from tests.conftest import database_at, insert_stored_donations


def test_existing_donations_are_backfilled(tmp_path) -> None:
    with database_at(tmp_path, "0018"):
        insert_stored_donations(
            [
                {"id": 1, "donation_no": "2026-000001", "portal_order_no": "A1",
                 "donor_name": "𠮷田 花子", "donor_kana": "よしだ はなこ",
                 "phone": "090-1234-5678", "email": "Hanako@Example.jp"},
                {"id": 2, "donation_no": "2026-000002", "portal_order_no": "A2",
                 "donor_name": "髙橋 一郎", "donor_kana": "", "phone": "", "email": ""},
            ]
        )  # fmt: skip
        upgrade()
        with db.engine.connect() as conn:
            got = conn.execute(
                sa.text(
                    "SELECT search_name, search_kana, search_phone, search_email FROM donation"
                    " ORDER BY id"
                )
            ).all()
        assert [tuple(r) for r in got] == [
            ("吉田花子", "ヨシダハナコ", "09012345678", "hanako@example.jp"),
            ("高橋一郎", "", "", ""),
        ]
        downgrade(revision="0018")
        with db.engine.connect() as conn:
            names = {c["name"] for c in sa.inspect(conn).get_columns("donation")}
        assert not {n for n in names if n.startswith("search_")}
