"""The handover export [12(4)]: everything a city needs comes out, and comes back in whole."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.accounts.models import Supplier
from portal.core.audit import AuditEntry
from portal.extensions import Model, db
from portal.handover import export as handover_export
from portal.handover.columns import describe
from portal.handover.jobs import run_export
from portal.handover.loader import check_files, compare, load_export, read_manifest
from portal.handover.schema import EXCLUDED_TABLES, export_tables
from portal.monthly import invoice, report
from tests.conftest import TOTP_SECRET
from tests.unit.test_monthly import NOVEMBER, november  # noqa: F401 - the month's records

# What the issue names, by table: each must be in the export, and the demo fills each ...
NAMED = [
    "gift", "gift_listing", "supplier", "donation", "donation_line", "gift_order", "shipment",
    "receipt", "onestop_return", "donor_request", "support_conversation", "support_message",
    "gift_proposal", "gift_origin", "supplier_statement", "supplier_statement_line",
    "payment_run", "payment_line",
]  # fmt: skip
# ... but for invoices and reports, which test_monthly's November fills.
MONTHLY = [
    "city_invoice", "city_invoice_line", "monthly_report", "monthly_report_comment",
    "city_advertisement", "resend_shipment", "supplier_consultation", "contract_rate",
    "gift_article", "promotion_activity", "receipt_batch", "receipt_batch_item", "address_check",
]  # fmt: skip


def empty_database(path: Path) -> sa.Engine:
    """A new SQLite file with the portal's schema and not one row."""
    engine = sa.create_engine(f"sqlite:///{path}")
    Model.metadata.create_all(engine)
    return engine


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def demo_export(seeded_demo: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The whole demo programme exported once through the command."""
    out = tmp_path_factory.mktemp("handover") / "out"
    app = seeded_demo.app
    with app.app_context():
        counts = {
            spec.name: db.session.scalar(sa.select(sa.func.count()).select_from(spec.table))
            for spec in export_tables(Model.metadata)
        }
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["export-all", str(out)])
    assert result.exit_code == 0, result.output
    return {"dir": out, "counts": counts, "output": result.output, "app": app}


def test_export_all_round_trips_the_demo_into_an_empty_database(
    demo_export: dict[str, Any], tmp_path: Path
) -> None:
    out: Path = demo_export["dir"]
    manifest = read_manifest(out)
    # every table the city needs is there, with the rows the database had
    assert {t: e["rows"] for t, e in manifest["tables"].items()} == demo_export["counts"]
    for table in NAMED:
        assert manifest["tables"][table]["rows"] > 0, table
    assert manifest["schema_revision"]

    engine = empty_database(tmp_path / "city.sqlite3")
    try:
        loaded = load_export(out, engine, Model.metadata)
        assert loaded == demo_export["counts"]
        # per table: same rows, same canonical digest — nothing lost, nothing changed
        assert compare(out, engine, Model.metadata) == {}
        with engine.connect() as conn:
            listing = conn.execute(sa.text("SELECT item_id, url FROM gift_listing")).first()
        assert listing is not None and listing.item_id and listing.url.startswith("http")
    finally:
        engine.dispose()


def test_compare_notices_a_lost_or_changed_row(demo_export: dict[str, Any], tmp_path: Path) -> None:
    out: Path = demo_export["dir"]
    engine = empty_database(tmp_path / "city.sqlite3")
    try:
        load_export(out, engine, Model.metadata)
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE gift SET name = name || 'x' WHERE id = (SELECT min(id) FROM gift)")
            )
            conn.execute(
                sa.text(
                    "DELETE FROM support_message WHERE id = (SELECT max(id) FROM support_message)"
                )
            )
        differ = compare(out, engine, Model.metadata)
    finally:
        engine.dispose()
    assert differ["gift"] == "row digest differs"
    assert differ["support_message"].startswith("rows ")
    assert set(differ) == {"gift", "support_message"}


def test_files_match_the_manifest_and_open_in_excel(demo_export: dict[str, Any]) -> None:
    out: Path = demo_export["dir"]
    manifest = read_manifest(out)
    assert check_files(out) == []
    for entry in manifest["tables"].values():
        raw = (out / entry["file"]).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel on a city PC reads it as UTF-8
        assert raw.count(b"\xef\xbb\xbf") == 1
    wb = load_workbook(out / "handover.xlsx", read_only=True)
    assert wb.sheetnames == [s for e in manifest["tables"].values() for s in e["sheets"]]
    assert all(len(name) <= 31 for name in wb.sheetnames)
    gifts = list(wb["gift"].iter_rows(values_only=True))
    assert list(gifts[0]) == manifest["tables"]["gift"]["columns"]
    assert len(gifts) == manifest["tables"]["gift"]["rows"] + 1
    wb.close()
    # a tampered file no longer matches
    path = out / "gift.csv"
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"x")
        assert check_files(out) == ["gift.csv"]
    finally:
        path.write_bytes(original)


def test_the_readme_describes_every_table_and_column_and_what_was_left_out(
    demo_export: dict[str, Any],
) -> None:
    readme = (demo_export["dir"] / "README.md").read_text(encoding="utf-8")
    for spec in export_tables(Model.metadata):
        section = readme.split(f"### {spec.name}（", 1)[1].split("\n### ", 1)[0]
        for column in spec.columns:
            assert f"\n| {column.name} | " in section, f"{spec.name}.{column.name}"
    for table in EXCLUDED_TABLES:
        assert f"| {table}（表全体） |" in readme
    assert "| user_account.password_hash |" in readme
    assert "| user_account.totp_secret |" in readme
    assert "先頭の `'`" in readme


def test_every_exported_column_has_a_meaning() -> None:
    """A table added later fails here until its columns are described (portal/handover/columns.py
    or a comment= on the column), so the README never has an empty line."""
    missing = [
        f"{spec.name}.{c.name}"
        for spec in export_tables(Model.metadata)
        for c in spec.columns
        if not describe(c).strip()
    ]
    assert missing == []


def test_the_command_is_audited(demo_export: dict[str, Any]) -> None:
    with demo_export["app"].app_context():
        row = db.session.scalar(
            sa.select(AuditEntry)
            .where(AuditEntry.subject_type == "handover")
            .order_by(AuditEntry.id.desc())
        )
        db.session.remove()
    assert row is not None
    assert (row.action, row.actor_kind, row.label) == ("export", "system", "引継ぎデータ")
    assert "表" in row.detail and "行" in row.detail
    assert "exported" in demo_export["output"]


@pytest.mark.usefixtures("frozen_clock")
def test_secrets_are_not_exported(session: Any, make_user: Any, tmp_path: Path) -> None:
    admin = make_user("operator-admin")
    session.flush()
    stored_secret = session.execute(
        sa.text("SELECT totp_secret, password_hash FROM user_account WHERE id = :id"),
        {"id": admin.id},
    ).one()
    out = tmp_path / "out"
    run_export(session, out, actor=None)
    assert not (out / "user_session.csv").exists()
    assert not (out / "job_run.csv").exists()
    header = csv_rows(out / "user_account.csv")[0]
    assert "password_hash" not in header and "totp_secret" not in header
    blob = b"".join(p.read_bytes() for p in out.iterdir())
    for secret in (TOTP_SECRET, stored_secret.totp_secret, stored_secret.password_hash):
        assert secret.encode() not in blob


@pytest.mark.usefixtures("frozen_clock")
def test_formula_like_text_is_safe_in_both_files_and_comes_back_exactly(
    session: Any, make_supplier: Any, make_user: Any, tmp_path: Path
) -> None:
    tricky = {
        '=HYPERLINK("http://evil","x")': "T901",
        "'already quoted": "T902",
        "-5 丁目": "T903",
        "@SUM(A1)": "T904",
        "#N/A": "T906",
        '改行\nと, カンマと "引用符"': "T905",
    }
    for name, code in tricky.items():
        make_supplier(name=name, code=code, representative="")
    make_user("operator")
    out = tmp_path / "out"
    run_export(session, out, actor=None)

    rows = csv_rows(out / "supplier.csv")
    header = rows[0]
    by_code = {r[header.index("code")]: r[header.index("name")] for r in rows[1:]}
    # CSV: a cell a spreadsheet would run, or one that already starts with ', gets one '
    assert by_code["T901"] == '\'=HYPERLINK("http://evil","x")'
    assert by_code["T902"] == "''already quoted"
    assert by_code["T903"] == "'-5 丁目"
    assert by_code["T904"] == "'@SUM(A1)"
    assert by_code["T905"] == '改行\nと, カンマと "引用符"'

    # xlsx: the text as stored, in a string cell with the quote prefix — never a formula
    wb = load_workbook(out / "handover.xlsx")
    ws = wb["supplier"]
    name_col = header.index("name") + 1
    cells = {
        ws.cell(r, header.index("code") + 1).value: ws.cell(r, name_col)
        for r in range(2, ws.max_row + 1)
    }
    assert cells["T901"].value == '=HYPERLINK("http://evil","x")'
    assert cells["T901"].data_type == "s"
    assert cells["T901"].quotePrefix
    assert (cells["T906"].value, cells["T906"].data_type) == ("#N/A", "s")  # not an error cell
    assert cells["T905"].value == by_code["T905"]

    # and the loader gives back exactly what was stored
    engine = empty_database(tmp_path / "city.sqlite3")
    try:
        load_export(out, engine, Model.metadata)
        assert compare(out, engine, Model.metadata) == {}
        with engine.connect() as conn:
            names = dict(conn.execute(sa.text("SELECT code, name FROM supplier")).all())
    finally:
        engine.dispose()
    assert {names[code]: code for code in tricky.values()} == tricky


def test_a_month_of_invoices_and_reports_round_trips(
    session: Any,
    november: dict[str, Any],  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    staff = november["staff"]
    issued = invoice.issue(session, NOVEMBER, by_user=staff)
    invoice.credit_note(session, issued, reason="送料の誤り", by_user=staff)  # negative amounts
    monthly = report.open_report(session, NOVEMBER, by_user=staff)
    report.set_comment(session, monthly, "a", "=前月比 +12%", by_user=staff)
    session.flush()
    out = tmp_path / "out"
    manifest = run_export(session, out, actor=staff)
    for table in MONTHLY:
        assert manifest["tables"][table]["rows"] > 0, table
    rows = csv_rows(out / "city_invoice.csv")
    totals = sorted(int(r[rows[0].index("total")]) for r in rows[1:])
    assert totals == [-34040, 34040]  # a negative number stays a number, no ' in front
    engine = empty_database(tmp_path / "city.sqlite3")
    try:
        load_export(out, engine, Model.metadata)
        assert compare(out, engine, Model.metadata) == {}
        with engine.connect() as conn:
            body = conn.execute(sa.text("SELECT body FROM monthly_report_comment")).scalar()
    finally:
        engine.dispose()
    assert body == "=前月比 +12%"


def test_a_table_too_long_for_one_sheet_continues_on_the_next(
    session: Any, make_supplier: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        make_supplier()
    suppliers = session.scalar(sa.select(sa.func.count()).select_from(Supplier))
    monkeypatch.setattr(handover_export, "XLSX_MAX_ROWS", 3)  # a header and two rows a sheet
    out = tmp_path / "out"
    manifest = run_export(session, out, actor=None)
    sheets = manifest["tables"]["supplier"]["sheets"]
    assert sheets[:2] == ["supplier", "supplier (2)"]
    wb = load_workbook(out / "handover.xlsx", read_only=True)
    codes = []
    for name in sheets:
        rows = list(wb[name].iter_rows(values_only=True))
        assert rows[0][0] == "id"  # every sheet starts with the header
        assert len(rows) <= 3
        codes += [r[1] for r in rows[1:]]
    wb.close()
    assert len(codes) == suppliers == len(set(codes))
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "「表名 (2)」" in readme


def test_the_command_refuses_a_directory_with_files_in_it(
    runner: Any, tmp_path: Path, session: Any
) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    before = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    result = runner.invoke(args=["export-all", str(tmp_path)])
    assert result.exit_code != 0
    assert "not an empty directory" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_manifest_is_json_with_a_digest_per_table(demo_export: dict[str, Any]) -> None:
    manifest = json.loads((demo_export["dir"] / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["tables"].values():
        assert len(entry["sha256_file"]) == 64 and len(entry["sha256_rows"]) == 64
