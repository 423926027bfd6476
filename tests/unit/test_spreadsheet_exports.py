"""Every CSV and xlsx the portal writes neutralises a cell that a spreadsheet would run:
a donor name / message typed as =HYPERLINK(...) comes back as text, never as a formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from portal.core import spreadsheet
from portal.core.audit import audit
from portal.core.dates import JST
from portal.core.roles import Role
from portal.donations.importers.engine import ImportResult, Rejected, rejected_csv
from portal.gifts.proposal_report import write_csv, write_xlsx
from portal.shipping.carriers import LABEL_FORMATS, label_csv
from portal.statements import service as statements
from portal.support import analysis
from portal.support import conversations as uc
from portal.support.models import CustomerKind
from tests.unit.test_carriers import _row

EVIL = '=HYPERLINK("http://evil","x")'


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]


def _assert_neutral(cells: list[str]) -> None:
    assert "'" + EVIL in cells
    assert not [c for c in cells if spreadsheet.is_dangerous(c)], cells


@pytest.mark.parametrize(
    "value",
    [EVIL, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_every_trigger_character_gets_a_leading_quote(value: str) -> None:
    assert spreadsheet.neutralise(value) == "'" + value
    assert spreadsheet.neutralise("比婆牛 = 高級") == "比婆牛 = 高級"
    assert spreadsheet.neutralise(-500) == -500  # a number stays a number


def test_declared_numeric_columns_keep_a_negative_amount_but_nothing_else() -> None:
    text = spreadsheet.csv_text(["金額", "メモ"], [["-500", "-500"], ["-1+2", "x"]], numeric={0})
    assert text.splitlines() == ["金額,メモ", "-500,'-500", "'-1+2,x"]


@pytest.mark.parametrize("key", sorted(LABEL_FORMATS))
def test_label_csv_of_every_carrier_layout(key: str) -> None:
    data = label_csv(key, [_row(recipient_name=EVIL, item_name="@SUM(1)")])
    cells = _cells(data.decode("cp932"))
    assert not [c for c in cells if spreadsheet.is_dangerous(c)]
    assert any(c.startswith("'") and "HYPERLINK" in c for c in cells)


def test_rejected_import_rows() -> None:
    result = ImportResult(header=["氏名", "金額"])
    result.rejected.append(Rejected(line=2, reason="金額が不正です", row=[EVIL, "-x"]))
    cells = _cells(rejected_csv(result).decode("utf-8-sig"))
    _assert_neutral(cells)
    assert "'-x" in cells


def test_support_analysis_csv_and_xlsx(session) -> None:
    c = uc.start_conversation(
        session,
        customer_kind=CustomerKind.DONOR,
        customer_name="寄附 太郎",
        body="質問",
        by_user=None,
        at=datetime(2026, 11, 10, 10, 0, tzinfo=JST),
    )
    c.resolution = EVIL
    session.flush()
    _assert_neutral(_cells(analysis.to_csv(session, 2026, 11).decode("utf-8-sig")))
    ws = load_workbook(io.BytesIO(analysis.to_xlsx(session, 2026, 11))).active
    cells = [cell for row in ws.iter_rows() for cell in row if cell.value == EVIL]
    assert cells, "the text is kept as typed"
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
    assert not [cell for row in ws.iter_rows() for cell in row if cell.data_type == "f"]


def test_statements_csv(session, make_supplier, make_gift, make_user, make_order, frozen_clock):
    from datetime import date

    from tests.conftest import jst

    frozen_clock.freeze(jst(2026, 11, 10, 10, 0))
    supplier = make_supplier(name=EVIL)
    gift = make_gift(supplier, name="-1+1")
    make_order(
        gift, shipped_on=date(2026, 10, 1), paid_on=date(2026, 9, 1), ship_by=date(2026, 9, 20)
    )
    statements.generate(session, "2026-10")
    data = statements.statements_csv(session, "2026-10", by_user=make_user(Role.OPERATOR))
    cells = _cells(data.decode("utf-8-sig"))
    _assert_neutral(cells)
    assert "'-1+1" in cells


def test_proposal_report_csv_and_xlsx(tmp_path) -> None:
    rows = [[1, EVIL, "比婆牛ファーム", "1号", "", "", "", "", "", 10000, 3000, 500, 30.0, "x", ""]]
    write_csv(rows, tmp_path / "p.csv")
    _assert_neutral(_cells((tmp_path / "p.csv").read_text("utf-8-sig")))
    write_xlsx(rows, tmp_path / "p.xlsx")
    ws = load_workbook(tmp_path / "p.xlsx").active
    cell = ws["B2"]
    assert cell.value == EVIL and cell.data_type == "s" and cell.quotePrefix
    assert ws["J2"].value == 10000 and ws["J2"].data_type == "n"


def test_audit_log_export(client, session, make_user, login) -> None:
    city = make_user(Role.CITY)
    audit(session, actor=city, action="view", subject_type="donation", subject_id=1, detail=EVIL)
    login(city)
    response = client.get("/staff/audit.csv")
    assert response.status_code == 200
    _assert_neutral(_cells(response.get_data().decode("utf-8-sig")))


def test_no_export_bypasses_the_writer() -> None:
    """A new CSV or xlsx export must go through portal/core/spreadsheet.py."""
    import re
    from pathlib import Path

    root = Path(spreadsheet.__file__).resolve().parents[1]
    direct = re.compile(r"csv\.(writer|DictWriter)\(|\bWorkbook\(")
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "spreadsheet.py" and direct.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
