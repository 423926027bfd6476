"""Erase (or count) personal data past its retention, in one transaction.

Every table of the registry is walked in ranges of ids (`BATCH`); each range is one
set-based UPDATE (or, for JSON values that need Python, one SELECT and one executemany of the
changed rows), so memory stays bounded at a million donations. Paths of files to delete are
spooled to a temporary file and deleted only after the commit: a crash leaves the database as
it was and every file in place. The run is recorded in the audit log: one row per table with
its count, and one for the run (who, cut-off, totals); audit rows hold counts, never content.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.audit import audit
from portal.erasure import registry
from portal.erasure.policy import Cutoffs
from portal.erasure.registry import PLACEHOLDER, Becomes, TableSpec

if TYPE_CHECKING:
    from portal.accounts.models import User

BATCH = 5000
ACTION = "personal_data.erased"
RUN_ACTION = "personal_data.erasure"


@dataclass
class Outcome:
    cutoffs: Cutoffs
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)  # table → rows erased
    refused: dict[str, int] = field(default_factory=dict)  # "donation: open case" → rows
    files: int = 0  # files to delete (dry run) or deleted
    files_missing: int = 0  # named by a row but already gone

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        verb = "would erase" if self.dry_run else "erased"
        out = [f"{self.cutoffs.mode}: donations before {self.cutoffs.donations.isoformat()}"]
        for name, n in self.counts.items():
            out.append(f"  {verb} {name}: {n}")
        word = "would delete" if self.dry_run else "deleted"
        out.append(f"  {word} files: {self.files}")
        for reason, n in self.refused.items():
            out.append(f"  refused {reason}: {n}")
        out.append(f"total rows: {self.rows}")
        return out


FILE, TREE, EMPTY_DIR = "file", "tree", "dir"  # what to delete: a file, a folder, an empty folder


class _Spool:
    """Paths to delete after the commit, one per line in a temporary file (a million receipt
    PDFs do not sit in memory)."""

    def __init__(self) -> None:
        self._fh: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed by erase()
        self.count = 0

    def add(self, path: Path, kind: str = FILE) -> None:
        self._fh.write(f"{kind}\t{path}\n")
        self.count += kind == FILE

    def entries(self) -> Iterator[tuple[str, Path]]:
        self._fh.seek(0)
        for line in self._fh:
            kind, _, path = line.rstrip("\n").partition("\t")
            if path:
                yield kind, Path(path)

    def close(self) -> None:
        self._fh.close()


def _ranges(session: Session, t: sa.FromClause, batch: int) -> Iterator[tuple[int, int]]:
    lo, hi = session.execute(sa.select(sa.func.min(t.c.id), sa.func.max(t.c.id))).one()
    if lo is None:
        return
    for start in range(int(lo), int(hi) + 1, batch):
        yield start, start + batch


def _rowcount(result: sa.Result[Any]) -> int:
    return int(cast("sa.CursorResult[Any]", result).rowcount)


def _python_value(becomes: Becomes, old: Any, scrub: Callable[[Any], Any] | None) -> Any:
    if becomes is Becomes.SCRUBBED:
        assert scrub is not None
        return scrub(old)
    if becomes is Becomes.BLANK:
        return ""
    if becomes is Becomes.PLACEHOLDER:
        return old if old in ("", None, PLACEHOLDER) else PLACEHOLDER
    if becomes is Becomes.NULL:
        return None
    if becomes is Becomes.EMPTY_LIST:
        return []
    raise ValueError(f"{becomes} is erased in SQL only")


def _file_paths(spec: TableSpec, config: dict[str, Any], value: str) -> list[tuple[Path, str]]:
    """What a FILE column's value names on disk, inside its configured folder only (a value
    that would lead out of it is left alone)."""
    root = Path(str(config[spec.file_root]))
    if spec.file_sub:
        root = root / spec.file_sub
    path = root / value
    resolved, base = path.resolve(), root.resolve()
    if base not in resolved.parents:
        return []
    out = [(path, FILE)]
    if spec.file_folder:  # a print batch: its manifest, the set PDFs cut from it, its folder
        out += [
            (path.with_name(f"{path.stem}-manifest.csv"), FILE),
            (path.parent / "sets", TREE),
            (path.parent, EMPTY_DIR),
        ]
    return out


def _spec(
    session: Session,
    spec: TableSpec,
    cutoffs: Cutoffs,
    *,
    dry_run: bool,
    spool: _Spool,
    config: dict[str, Any],
    batch: int,
) -> int:
    t = registry.table(spec.table)
    erasable = registry.erasable(spec, t, cutoffs)
    python = any(b is Becomes.SCRUBBED for b in spec.columns.values())
    files = [name for name, b in spec.columns.items() if b is Becomes.FILE]
    total = 0
    for lo, hi in _ranges(session, t, batch):
        in_range = sa.and_(t.c.id >= lo, t.c.id < hi, erasable)
        if python:
            total += _python_batch(session, spec, t, in_range, dry_run=dry_run)
            continue
        cond = sa.and_(in_range, registry.pending(spec, t))
        for name in files:
            stmt = sa.select(t.c[name]).where(cond, t.c[name] != "")
            for (value,) in session.execute(stmt):
                for path, kind in _file_paths(spec, config, value):
                    spool.add(path, kind)
        if dry_run:
            total += session.scalar(sa.select(sa.func.count()).select_from(t).where(cond)) or 0
        elif spec.delete:
            total += _rowcount(session.execute(sa.delete(t).where(cond)))
        else:
            values = {name: registry.target(b, t.c[name]) for name, b in spec.columns.items()}
            total += _rowcount(session.execute(sa.update(t).where(cond).values(values)))
    return total


def _python_batch(
    session: Session, spec: TableSpec, t: sa.Table, cond: sa.ColumnElement[bool], *, dry_run: bool
) -> int:
    names = list(spec.columns)
    changed: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in session.execute(sa.select(t.c.id, *(t.c[n] for n in names)).where(cond)):
        new: dict[str, Any] = {}
        for name in names:
            old = getattr(row, name)
            value = _python_value(spec.columns[name], old, spec.scrub)
            if value != old:
                new[name] = value
        if new:
            key = tuple(sorted(new))
            changed.setdefault(key, []).append(
                {"_id": row.id, **{f"v_{k}": v for k, v in new.items()}}
            )
    count = sum(len(rows) for rows in changed.values())
    if not dry_run:
        for key, rows in changed.items():
            stmt = (
                sa.update(t)
                .where(t.c.id == sa.bindparam("_id"))
                .values({k: sa.bindparam(f"v_{k}") for k in key})
            )
            session.connection().execute(stmt, rows)
    return count


def _refused(session: Session, cutoffs: Cutoffs) -> dict[str, int]:
    """What is old enough but still needed, by the open case that keeps it."""
    out: dict[str, int] = {}
    d = registry.table("donation")
    for name, case in registry.OPEN_CASES.items():
        n = session.scalar(
            sa.select(sa.func.count())
            .select_from(d)
            .where(registry.donation_old(d, cutoffs), case(d, cutoffs))
        )
        if n:
            out[f"donation ({name})"] = int(n)
    s = registry.table("support_conversation")
    n = session.scalar(
        sa.select(sa.func.count())
        .select_from(s)
        .where(registry.conversation_old(s, cutoffs), sa.not_(registry.conversation_closed(s)))
    )
    if n:
        out["support_conversation (not closed)"] = int(n)
    i = registry.table("incident")
    n = session.scalar(
        sa.select(sa.func.count())
        .select_from(i)
        .where(registry.incident_old(i, cutoffs), i.c.closed_at.is_(None))
    )
    if n:
        out["incident (not closed)"] = int(n)
    return out


def _import_files(config: dict[str, Any], cutoffs: Cutoffs, spool: _Spool) -> None:
    """Uploaded import files and what the preview wrote beside them (UPLOAD_DIR/imports)."""
    folder = Path(str(config["UPLOAD_DIR"])) / "imports"
    if not folder.is_dir():
        return
    limit = cutoffs.import_files.timestamp()
    for entry in os.scandir(folder):
        if entry.is_file() and entry.stat().st_mtime < limit:
            spool.add(Path(entry.path))


def _delete(spool: _Spool) -> tuple[int, int]:
    deleted = missing = 0
    folders: list[tuple[str, Path]] = []
    for kind, path in spool.entries():
        if kind != FILE:
            folders.append((kind, path))
            continue
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            missing += 1
    for kind, folder in folders:
        if kind == TREE and folder.is_dir():  # a batch's set PDFs
            deleted += sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder, ignore_errors=True)
        elif kind == EMPTY_DIR and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return deleted, missing


def erase(
    session: Session,
    cutoffs: Cutoffs,
    *,
    config: dict[str, Any],
    dry_run: bool = False,
    actor: User | None = None,
    operator: str = "",
    batch: int = BATCH,
) -> Outcome:
    """Erase what `cutoffs` make erasable; commit; then delete the files. A dry run counts the
    same rows and files with SELECTs only."""
    outcome = Outcome(cutoffs=cutoffs, dry_run=dry_run)
    spool = _Spool()
    try:
        try:
            outcome.refused = _refused(session, cutoffs)
            for spec in registry.SPECS:
                n = _spec(
                    session,
                    spec,
                    cutoffs,
                    dry_run=dry_run,
                    spool=spool,
                    config=config,
                    batch=batch,
                )
                outcome.counts[spec.table] = outcome.counts.get(spec.table, 0) + n
            _import_files(config, cutoffs, spool)
            if dry_run:  # only SELECTs ran: nothing to undo
                outcome.files = spool.count
                return outcome
            _record(session, outcome, actor=actor, operator=operator, files=spool.count)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        outcome.files, outcome.files_missing = _delete(spool)
        return outcome
    finally:
        spool.close()


def _record(
    session: Session, outcome: Outcome, *, actor: User | None, operator: str, files: int
) -> None:
    # who: the staff account given with --actor (if any) and the OS user who ran the command
    who: dict[str, Any] = {"actor": actor, "actor_kind": "user" if actor else "system"}
    who["actor_ref"] = operator[:64]
    mode = outcome.cutoffs.mode
    for name, n in outcome.counts.items():
        if n:
            audit(
                session, action=ACTION, subject_type="erasure", subject_id=name,
                label=f"個人情報の消去 {name} {n}件", detail=f"{name}={n} {mode}", **who,
            )  # fmt: skip
    refused = sum(outcome.refused.values())
    audit(
        session,
        action=RUN_ACTION,
        subject_type="erasure",
        subject_id=mode[:64],
        label=f"個人情報の消去 {outcome.rows}件",
        detail=(
            f"{mode} donations<{outcome.cutoffs.donations.isoformat()} rows={outcome.rows} "
            f"files={files} refused={refused}"
        ),
        **who,
    )
