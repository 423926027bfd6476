"""Backup and restore: `flask backup` and `flask restore`.

SQLite: Python's sqlite3 online backup API (a consistent copy while the portal runs; no need
to stop it). PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists`
(the client tools of the server's major version must be on PATH). A backup holds every donor's
name, address and phone: keep it encrypted at rest and off the web server (README, Security).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from portal.core import clock


class BackupError(RuntimeError):
    pass


def _libpq(url: sa.URL) -> tuple[str, list[str]]:
    """A libpq URL (no +driver) and the schema options pg_dump/pg_restore take from it."""
    options = url.query.get("options", "")
    schemas: list[str] = []
    if isinstance(options, str) and "search_path=" in options:
        schemas = [options.split("search_path=", 1)[1].split()[0].split(",")[0]]
    plain = url.set(drivername="postgresql").difference_update_query(["options"])
    return plain.render_as_string(hide_password=False), schemas


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (PostgreSQL client tools)")
    return path


def backup(url: str | sa.URL, dest: Path) -> Path:
    """Write a backup of the database at `url` to `dest`; returns `dest`."""
    url = sa.make_url(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up")
        src = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
        out = sqlite3.connect(dest)
        try:
            with out:
                src.backup(out)
        finally:
            out.close()
            src.close()
        return dest
    if url.get_backend_name() == "postgresql":
        target, schemas = _libpq(url)
        args = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={dest}"]
        args += [f"--schema={s}" for s in schemas]
        subprocess.run([*args, target], check=True, capture_output=True)
        return dest
    raise BackupError(f"no backup for {url.get_backend_name()}")


def restore(url: str | sa.URL, src: Path) -> None:
    """Bring a backup back into the database at `url`, replacing what is there."""
    url = sa.make_url(url)
    if not src.is_file():
        raise BackupError(f"{src} does not exist")
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("cannot restore into an in-memory SQLite database")
        backup_db = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        out = sqlite3.connect(url.database)
        try:
            with out:
                backup_db.backup(out)
        finally:
            out.close()
            backup_db.close()
        return
    if url.get_backend_name() == "postgresql":
        target, _schemas = _libpq(url)
        args = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--exit-on-error"]
        subprocess.run([*args, f"--dbname={target}", str(src)], check=True, capture_output=True)
        return
    raise BackupError(f"no restore for {url.get_backend_name()}")


def _default_dest(url: sa.URL) -> Path:
    from portal.config import INSTANCE

    stamp = clock.now_jst().strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if url.get_backend_name() == "sqlite" else "dump"
    return INSTANCE / "backups" / f"portal-{stamp}.{suffix}"


@click.command("backup")
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@with_appcontext
def backup_command(dest: Path | None) -> None:
    """Back the database up (SQLite online backup / pg_dump) to DEST or instance/backups/."""
    url = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        written = backup(url, dest or _default_dest(url))
    except (BackupError, subprocess.CalledProcessError) as e:
        raise click.ClickException(str(getattr(e, "stderr", b"") or e)) from e
    click.echo(f"backup written: {written}")


@click.command("restore")
@click.argument("src", type=click.Path(path_type=Path, exists=True))
@click.option("--yes", is_flag=True, help="Replace the current database without asking.")
@with_appcontext
def restore_command(src: Path, yes: bool) -> None:
    """Replace the database with the backup SRC (stop the web and job workers first)."""
    url = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not yes:
        click.confirm(f"Replace {url.render_as_string()} with {src}?", abort=True)
    try:
        restore(url, src)
    except (BackupError, subprocess.CalledProcessError) as e:
        raise click.ClickException(str(getattr(e, "stderr", b"") or e)) from e
    click.echo(f"restored from {src}")


commands = [backup_command, restore_command]
