"""`flask export-proposals [--from DATE] [--to DATE] [--status approved|all] --out FILE.xlsx`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.extensions import db
from portal.gifts.proposal_models import ProposalState
from portal.gifts.proposal_report import report_rows, write_csv, write_xlsx


@click.command("export-proposals")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option(
    "--status",
    type=click.Choice([*[s.value for s in ProposalState if s != ProposalState.DRAFT], "all"]),
    default="approved",
    show_default=True,
)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_proposals_command(
    date_from: datetime | None, date_to: datetime | None, status: str, out: Path
) -> None:
    """Export proposals for 総務省: .xlsx, or .csv when the file name ends in .csv."""
    rows = report_rows(
        db.session(),
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        status=None if status == "all" else ProposalState(status),
    )
    (write_csv if out.suffix.lower() == ".csv" else write_xlsx)(rows, out)
    click.echo(f"{len(rows)} rows -> {out}")


commands = [export_proposals_command]
