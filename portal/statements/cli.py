"""`flask statements generate YYYY-MM`: the month's statements for every supplier that shipped."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.core.errors import DomainError
from portal.extensions import db
from portal.statements import service


@click.group("statements", help="Monthly statements (相互確認) with suppliers.")
def statements() -> None:
    pass


@statements.command("generate")
@click.argument("month")
@with_appcontext
def generate(month: str) -> None:
    """Create MONTH's statements (JST, e.g. 2026-10); existing ones are left as they are."""
    session = db.session()
    try:
        created = service.generate(session, month)
    except DomainError as err:
        raise click.BadParameter(str(err.message), param_hint="MONTH") from None
    session.commit()
    lines = sum(len(st.lines) for st in created)
    click.echo(
        f"statements generate month={service.normalise_month(month)} created={len(created)} lines={lines}"
    )


commands = [statements]
