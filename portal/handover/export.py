"""Writes the handover: DIR/<table>.csv, DIR/handover.xlsx, DIR/README.md, DIR/manifest.json.

Reads every exported table once, in primary-key order, over a connection of its own in one
snapshot (PostgreSQL REPEATABLE READ with a server-side cursor; SQLite a deferred read
transaction, so writers are not blocked), writing each row to the CSV, the workbook and the
row digest as it goes: memory stays flat whatever the table's size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from portal.core import clock
from portal.core.dates import JST
from portal.core.spreadsheet import csv_writer, streaming_workbook, xlsx_stream_row
from portal.handover.readme import readme_text
from portal.handover.schema import (
    ExportTable,
    digest_line,
    export_tables,
    is_numeric,
    ordered_select,
    row_texts,
)

# A worksheet holds 1,048,576 rows; one is the header. A larger table continues on the next
# sheet ("donation (2)"). A module constant so a test can make it small.
XLSX_MAX_ROWS = 1_048_576
SHEET_NAME_LIMIT = 31
BATCH = 2000
WORKBOOK = "handover.xlsx"

Progress = Callable[[str, int], None]


def sheet_name(table: str, part: int, used: set[str]) -> str:
    """`table`, or `table (2)` for its second sheet, cut to Excel's 31 characters and made
    unique (two long table names may share their first 31)."""
    n = part
    while True:
        suffix = "" if n == 1 else f" ({n})"
        name = table[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        if name.lower() not in used:
            used.add(name.lower())
            return name
        n += 1


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def snapshot(engine: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """A read-only connection that sees one instant of the whole database. Given a connection
    (a test's, inside its transaction), reads through it as it is."""
    if isinstance(engine, sa.Connection):
        yield engine
        return
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield conn
        return
    if engine.dialect.name == "sqlite":
        # The portal's engine opens every transaction with BEGIN IMMEDIATE (it writes); a read
        # of minutes must not hold the write lock. A deferred BEGIN on a raw connection takes a
        # WAL snapshot at its first SELECT instead.
        plain = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
        try:
            with plain.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                raw.isolation_level = None
                conn.exec_driver_sql("BEGIN")
                try:
                    yield conn
                finally:
                    conn.exec_driver_sql("ROLLBACK")
        finally:
            plain.dispose()
        return
    with engine.connect() as conn, conn.begin():
        yield conn


def schema_revision(conn: sa.Connection) -> str:
    """The migration the database is at ("" for one built without Alembic)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return ""
    return str(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() or "")


def _export_table(
    conn: sa.Connection,
    spec: ExportTable,
    dest: Path,
    wb: Any,
    used: set[str],
    progress: Progress | None,
) -> dict[str, Any]:
    header = [c.name for c in spec.columns]
    numeric = {i for i, c in enumerate(spec.columns) if is_numeric(c)}
    digest = hashlib.sha256()
    rows = 0
    altered = 0
    sheets = [sheet_name(spec.name, 1, used)]
    ws = wb.create_sheet(sheets[0])
    xlsx_stream_row(ws, header)
    on_sheet = 1
    path = dest / f"{spec.name}.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv_writer(out, numeric=numeric, bom=True, reversible=True)
        writer.writerow(header)
        # Options on the statement, not the connection: a connection handed in (a test's) must
        # not keep a server-side cursor option for its later statements.
        query = ordered_select(spec.table, spec.columns)
        result = conn.execute(query.execution_options(stream_results=True, yield_per=BATCH))
        for row in result:
            texts = row_texts(spec.columns, row)
            writer.writerow(texts)
            digest.update(digest_line(texts))
            if on_sheet >= XLSX_MAX_ROWS:
                sheets.append(sheet_name(spec.name, len(sheets) + 1, used))
                ws = wb.create_sheet(sheets[-1])
                xlsx_stream_row(ws, header)
                on_sheet = 1
            if xlsx_stream_row(ws, _xlsx_values(spec, row, texts), numeric=numeric):
                altered += 1
            on_sheet += 1
            rows += 1
            if progress is not None and rows % 10_000 == 0:
                progress(spec.name, rows)
    entry: dict[str, Any] = {
        "file": path.name,
        "rows": rows,
        "columns": header,
        "sha256_file": file_sha256(path),
        "sha256_rows": digest.hexdigest(),
        "sheets": sheets,
    }
    if altered:
        entry["xlsx_cells_shortened_rows"] = altered
    return entry


def _xlsx_values(spec: ExportTable, row: sa.Row[Any], texts: list[str]) -> list[Any]:
    """Numbers stay numbers in the workbook (a city sums them); everything else is the CSV's
    text, so the two files say the same."""
    out: list[Any] = []
    for column, text in zip(spec.columns, texts, strict=True):
        value = row._mapping[column]
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e15:
            out.append(value)
        else:
            out.append(text if text != "" else None)
    return out


def export_all(
    engine: sa.Engine | sa.Connection,
    metadata: sa.MetaData,
    dest: Path,
    *,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the handover into `dest` (created; files of an earlier run replaced) and return
    the manifest."""
    dest.mkdir(parents=True, exist_ok=True)
    specs = export_tables(metadata)
    wb = streaming_workbook()
    tables: dict[str, Any] = {}
    used: set[str] = set()
    with snapshot(engine) as conn:
        revision = schema_revision(conn)
        for spec in specs:
            tables[spec.name] = _export_table(conn, spec, dest, wb, used, progress)
            if progress is not None:
                progress(spec.name, tables[spec.name]["rows"])
    wb.save(dest / WORKBOOK)
    manifest = {
        "format": "furusato-portal-handover/1",
        "exported_at": clock.now().astimezone(JST).isoformat(),
        "schema_revision": revision,
        "workbook": WORKBOOK,
        "sha256_workbook": file_sha256(dest / WORKBOOK),
        "row_digest": "sha256 over the rows in primary-key order; each row is the JSON array "
        "(UTF-8, no spaces) of its cells' stored text, then a newline",
        "tables": tables,
    }
    (dest / "README.md").write_text(readme_text(metadata, manifest), encoding="utf-8")
    (dest / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest
