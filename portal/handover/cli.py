"""`flask export-all DIR`: the handover export from the command line (audited, like the button)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.extensions import db


@click.command("export-all")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_all_command(directory: Path) -> None:
    """Write every table a city needs to carry on into DIRECTORY (new or empty): one CSV per
    table (UTF-8 with BOM), handover.xlsx, README.md and manifest.json. Holds every donor's
    personal data: keep it encrypted and hand it over in person."""
    from portal.handover.jobs import DirectoryNotEmpty, run_export

    try:
        manifest = run_export(db.session(), directory, actor=None)
    except DirectoryNotEmpty as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from None
    db.session.commit()
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"exported {len(manifest['tables'])} tables, {rows} rows into {directory}")


commands = [export_all_command]
