"""The city's proposal report: xlsx and CSV from `flask export-proposals`."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import Any

from openpyxl import load_workbook

from portal.core.roles import Role
from portal.gifts.proposal_models import ProposalState as S
from portal.gifts.proposal_report import HEADERS
from portal.gifts.proposals import create_draft, transition
from tests.conftest import jst


def _proposal(session: Any, people: dict[str, Any], name: str, decide: S | None) -> Any:
    p = create_draft(
        session,
        {
            "name": name,
            "criterion": "2",
            "required_amount": 10000,
            "procurement_cost": 2800,
            "shipping_fee": 1000,
            "temperature": "ambient",
            "materials": [{"material": "トマト", "origin": "広島県庄原市", "share": 90}],
            "origin_details": {"processing_place": "岡山県岡山市"},
        },
        by_user=people["supplier"],
    )
    transition(session, p.id, S.SUBMITTED, by_user=people["supplier"])
    if decide:
        transition(session, p.id, S.UNDER_REVIEW, by_user=people["operator"])
        transition(session, p.id, S.RECOMMENDED, by_user=people["operator"])
        transition(session, p.id, decide, by_user=people["city"], comment="判断")
    return p


def test_export_xlsx_and_csv(session, runner, make_user, tmp_path, frozen_clock) -> None:
    # 08:30 in Japan is still the previous day in UTC: the period is counted in JST days, so
    # "--to 2026-06-01" must include what was approved this morning.
    frozen_clock.freeze(jst(2026, 6, 1, 8, 30))
    people = {
        "supplier": make_user(Role.SUPPLIER),
        "operator": make_user(Role.OPERATOR),
        "city": make_user(Role.CITY),
    }
    _proposal(session, people, "トマトジュース", S.APPROVED)
    _proposal(session, people, "トマトケチャップ", S.REJECTED)
    _proposal(session, people, "トマトソース", None)
    old = _proposal(session, people, "去年のトマト", S.APPROVED)
    old.decided_at = datetime(2025, 4, 1, 3, tzinfo=UTC)
    session.flush()

    out = tmp_path / "report.xlsx"
    result = runner.invoke(
        args=["export-proposals", "--from", "2026-01-01", "--to", "2026-06-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert [r[1] for r in rows[1:]] == ["トマトジュース"]
    row = dict(zip(HEADERS, rows[1], strict=True))
    assert row["地場産品基準（号）"] == "2" and row["告示条項"] == "第5条第2号"
    assert row["原材料（産地・割合）"] == "トマト（広島県庄原市・90%）"
    assert row["返礼割合（%）"] == 28.0 and row["必要寄附額（円）"] == 10000
    assert row["承認日"] == "2026-06-01"

    csv_out = tmp_path / "all.csv"
    result = runner.invoke(args=["export-proposals", "--status", "all", "--out", str(csv_out)])
    assert result.exit_code == 0, result.output
    with csv_out.open(encoding="utf-8-sig") as fh:
        names = sorted(r["返礼品名"] for r in csv.DictReader(fh))
    assert names == ["トマトケチャップ", "トマトジュース", "トマトソース", "去年のトマト"]
