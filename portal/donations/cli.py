"""`flask import-donations PORTAL FILE [--dry-run]`: the command-line import.

Rejected rows are printed as `line L: reason`, then conflicts and unknown item IDs (`unknown item
ID: X rows=N`: map them to gifts on the preview page), the last line is the summary, and the exit
status is non-zero when rows were rejected. Commits every batch of donations, so a crash keeps
what was done and loses no more than the unfinished donation (never half of one).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.core.errors import DomainError
from portal.donations.importers import PORTALS, import_file
from portal.extensions import db


@click.command("import-donations")
@click.argument("portal", type=click.Choice(PORTALS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and count; write nothing.")
@click.option("--batch", default=200, show_default=True, help="Donations per commit.")
@with_appcontext
def import_donations_command(portal: str, file: Path, dry_run: bool, batch: int) -> None:
    """Import a portal's donation export (or the standard CSV)."""
    session = db.session()
    try:
        result = import_file(
            session,
            portal,
            file.read_bytes(),
            dry_run=dry_run,
            commit=session.commit,
            batch=batch,
        )
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(str(exc.message)) from exc
    if not dry_run:  # a dry run wrote nothing
        session.commit()
    for rejected in result.rejected:
        click.echo(f"line {rejected.line}: {rejected.reason}")
    for order_no, donation_no in result.conflicts:
        click.echo(f"conflict: {order_no} ({donation_no})")
    for item_id, rows in sorted(result.unknown_ids.items()):
        click.echo(f"unknown item ID: {item_id} rows={rows}")  # map it on the preview page
    for name, rows in sorted(result.unknown_projects.items()):
        click.echo(f"unknown project: {name} rows={rows}")  # register it, then import again
    click.echo(result.summary())
    if result.rejected:
        raise SystemExit(1)


commands = [import_donations_command]
