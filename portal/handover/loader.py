"""Reading a handover back: check its files against the manifest, load its CSVs into an empty
database built from the same migrations, and compute a database's row digests the way the
export did — so "nothing lost" is a comparison, not a promise.

The loader is the reference reading of the format (README.md says the same in words): strip the
BOM, remove one leading `'` from a cell that has one, an empty cell is NULL where the column
allows it. It inserts with the target's foreign-key checks off (SQLite), since a table may refer
to itself in any order of its rows.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from portal.core.spreadsheet import restore
from portal.handover.export import BATCH, file_sha256
from portal.handover.schema import (
    ExportTable,
    digest_line,
    export_tables,
    from_text,
    ordered_select,
    row_texts,
)


class HandoverError(RuntimeError):
    pass


def read_manifest(src: Path) -> dict[str, Any]:
    return json.loads((src / "manifest.json").read_text(encoding="utf-8"))


def check_files(src: Path) -> list[str]:
    """Files whose SHA-256 differs from the manifest's (empty when all match)."""
    manifest = read_manifest(src)
    bad = [
        entry["file"]
        for entry in manifest["tables"].values()
        if file_sha256(src / entry["file"]) != entry["sha256_file"]
    ]
    if file_sha256(src / manifest["workbook"]) != manifest["sha256_workbook"]:
        bad.append(manifest["workbook"])
    return bad


def read_rows(path: Path) -> Iterator[list[str]]:
    """The stored text of every data row of one CSV (header checked by the caller)."""
    csv.field_size_limit(1 << 30)  # Base64 evidence files are longer than the default 128 KiB
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            yield [restore(cell) for cell in row]


def load_export(src: Path, engine: sa.Engine, metadata: sa.MetaData) -> dict[str, int]:
    """Insert every table of the handover in `src` into the (empty) database at `engine`;
    returns rows loaded per table."""
    manifest = read_manifest(src)
    loaded: dict[str, int] = {}
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for spec in export_tables(metadata):
            entry = manifest["tables"].get(spec.name)
            if entry is None:
                raise HandoverError(f"{spec.name}: not in the manifest")
            rows = read_rows(src / entry["file"])
            header = next(rows)
            columns = {c.name: c for c in spec.columns}
            unknown = [h for h in header if h not in columns]
            if unknown:
                raise HandoverError(f"{spec.name}: unknown columns {unknown}")
            targets = [columns[h] for h in header]
            batch: list[dict[str, Any]] = []
            count = 0
            for texts in rows:
                batch.append({c.name: from_text(c, t) for c, t in zip(targets, texts, strict=True)})
                if len(batch) >= BATCH:
                    conn.execute(spec.table.insert(), batch)
                    count += len(batch)
                    batch = []
            if batch:
                conn.execute(spec.table.insert(), batch)
                count += len(batch)
            loaded[spec.name] = count
    return loaded


def table_digest(conn: sa.Connection, spec: ExportTable) -> tuple[int, str]:
    """(rows, sha256_rows) of one table as it is in a database, computed as the export does."""
    digest = hashlib.sha256()
    rows = 0
    query = ordered_select(spec.table, spec.columns).execution_options(yield_per=BATCH)
    for row in conn.execute(query):
        digest.update(digest_line(row_texts(spec.columns, row)))
        rows += 1
    return rows, digest.hexdigest()


def compare(src: Path, engine: sa.Engine, metadata: sa.MetaData) -> dict[str, str]:
    """Tables whose rows or digest in the database at `engine` differ from the manifest:
    {table: what differs}; empty when nothing was lost or changed."""
    manifest = read_manifest(src)
    differ: dict[str, str] = {}
    with engine.connect() as conn:
        for spec in export_tables(metadata):
            entry = manifest["tables"][spec.name]
            rows, digest = table_digest(conn, spec)
            if rows != entry["rows"]:
                differ[spec.name] = f"rows {rows} != {entry['rows']}"
            elif digest != entry["sha256_rows"]:
                differ[spec.name] = "row digest differs"
    return differ
