"""`flask issue-receipts [--until DATE] [--out DIR]`: the same run as the staff button.

Issues a number to every receipt due by DATE (default today), gathers reissues and re-mails,
renders the batch's merged print PDF and manifest; with --out also copies them into DIR with
one PDF per donation (sets/<donation number>.pdf). Last line: `issued=N batch=PATH`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.core.dates import today_jst
from portal.extensions import db
from portal.receipts.batches import issue_due, write_out
from portal.receipts.service import document_dir


@click.command("issue-receipts")
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Issue receipts due on or before this date (default: today, JST).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the merged PDF, manifest and per-donation PDFs here.",
)
@click.option("--workers", type=int, default=None, help="Render processes (default: CPUs).")
@with_appcontext
def issue_receipts_command(until: datetime | None, out: Path | None, workers: int | None) -> None:
    """Issue due receipts into one print batch."""
    until_date: date = until.date() if until else today_jst()
    session = db.session()
    batch = issue_due(session, until=until_date, workers=workers)
    if batch is None:
        click.echo("nothing due")
        click.echo("issued=0 batch=")
        return
    path = document_dir() / batch.pdf_path
    if out is not None:
        path = write_out(batch, out)
        session.commit()
    click.echo(f"{batch.label}: {batch.count} sets, {batch.pages} pages")
    click.echo(f"issued={batch.count} batch={path}")


commands = [issue_receipts_command]
