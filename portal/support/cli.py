"""`flask desk-status [--at 2027-05-03T10:00]`: is the desk open, or when does it open."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from portal.core import clock
from portal.core.dates import JST
from portal.extensions import db
from portal.support.hours import load_calendar


@click.command("desk-status")
@click.option(
    "--at", "at_text", default=None, help="ISO date-time (JST unless an offset is given)."
)
@with_appcontext
def desk_status_command(at_text: str | None) -> None:
    if at_text:
        try:
            at = datetime.fromisoformat(at_text)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--at") from e
        if at.tzinfo is None:
            at = at.replace(tzinfo=JST)
    else:
        at = clock.now()
    cal = load_calendar(db.session())
    if cal.is_open(at):
        click.echo("open")
    else:
        click.echo(f"closed until {cal.next_opening(at).isoformat(timespec='minutes')}")


@click.command("seed-faq")
@with_appcontext
def seed_faq_command() -> None:
    """Add the standard FAQ entries that are missing."""
    from portal.support import faq

    session = db.session()
    n = faq.seed(session)
    session.commit()
    click.echo(f"{n} FAQ entries added")


commands = [desk_status_command, seed_faq_command]
