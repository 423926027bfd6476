"""Migration 0023 backfills the search columns of donations already stored (in batches), so a
caller's donation imported before the upgrade is found by name, kana and phone."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db


def _filler(column: sa.Column) -> object:
    """A value for a NOT NULL column the test does not care about."""
    kind = column.type.python_type
    return {bool: False, int: 1, str: "x", date: date(2026, 11, 1)}.get(kind, datetime(2026, 11, 1))


def test_existing_donations_are_backfilled(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": url,
         "RATELIMIT_STORAGE_URI": "memory://"}
    )  # fmt: skip
    with app.app_context():
        upgrade(revision="0018")
        with db.engine.begin() as conn:
            table = sa.Table("donation", sa.MetaData(), autoload_with=conn)
            base = {
                c.name: _filler(c)
                for c in table.columns
                if not c.nullable and not c.primary_key and c.server_default is None
            }
            conn.execute(
                table.insert(),
                [
                    {**base, "id": 1, "donation_no": "2026-000001", "portal_order_no": "A1",
                     "donor_name": "𠮷田 花子", "donor_kana": "よしだ はなこ",
                     "phone": "090-1234-5678", "email": "Hanako@Example.jp"},
                    {**base, "id": 2, "donation_no": "2026-000002", "portal_order_no": "A2",
                     "donor_name": "髙橋 一郎", "donor_kana": "", "phone": "", "email": ""},
                ],
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
        db.engine.dispose()
