"""`flask erase-personal-data [--before YYYY-MM-DD] [--dry-run] [--actor EMAIL]`."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.core import clock
from portal.erasure import policy
from portal.erasure.run import erase
from portal.extensions import db


def _operator() -> str:
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return "os:unknown"


def interactive() -> bool:
    """Someone at a terminal (asked to confirm); a pipe or cron is not asked again."""
    return sys.stdin.isatty()


@click.command("erase-personal-data")
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Erase everything older than this day (JST) instead of applying the retention policy.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be erased; change nothing.")
@click.option(
    "--actor",
    default=None,
    help="E-mail of the staff account running this (the audit log's actor); default: the OS user.",
)
@with_appcontext
def erase_personal_data_command(before: datetime | None, dry_run: bool, actor: str | None) -> None:
    """Erase donors' personal data past its retention (or older than --before): names,
    addresses, phones, e-mails, messages' text, attachments and documents. Amounts, dates,
    prefecture and gifts stay, so every figure adds up as before. Open cases are refused."""
    from portal.accounts import accounts

    session = db.session()
    now = clock.now()
    cutoffs = (
        policy.before(before.date(), now) if before else policy.from_policy(current_app.config, now)
    )
    user = None
    if actor:
        user = accounts.find_user(session, accounts.normalise_email(actor))
        if user is None:
            raise click.ClickException(f"no account {actor}")
    if before and not dry_run and interactive():
        click.confirm(
            f"Erase ALL personal data older than {cutoffs.donations.isoformat()}? "
            "This cannot be undone.",
            abort=True,
        )
    outcome = erase(
        session,
        cutoffs,
        config=dict(current_app.config),
        dry_run=dry_run,
        actor=user,
        operator=_operator(),
    )
    for line in outcome.lines():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was changed")


commands = [erase_personal_data_command]
