"""Migration 0036 drops SQLite's second B-tree on donation.search_email: an exact e-mail lookup
is still answered from an index, and every donation written maintains one index less."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from tests.conftest import database_at, insert_stored_donations


def _email_indexes() -> set[str]:
    return {
        ix["name"]
        for ix in sa.inspect(db.engine).get_indexes("donation")
        if ix["column_names"] == ["search_email"]
    }


def _plan() -> str:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM donation WHERE search_email = 'a@example.jp'"
        ).all()
    return " ".join(str(r[-1]) for r in rows)


def test_one_email_index_left_and_lookups_still_use_it(tmp_path) -> None:
    with database_at(tmp_path, "0035"):
        insert_stored_donations(
            [{"id": 1, "donation_no": "2026-000001", "portal_order_no": "A1",
              "search_email": "a@example.jp"}]
        )  # fmt: skip
        assert _email_indexes() == {"ix_donation_search_email", "ix_donation_search_email_eq"}
        upgrade(revision="0036")
        assert _email_indexes() == {"ix_donation_search_email"}
        assert "USING COVERING INDEX ix_donation_search_email" in _plan() or (
            "USING INDEX ix_donation_search_email" in _plan()
        )
        with db.engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT id FROM donation WHERE search_email = 'a@example.jp'"
            ).scalars()
            assert list(found) == [1]
        downgrade(revision="0035")
        assert _email_indexes() == {"ix_donation_search_email", "ix_donation_search_email_eq"}
