"""`flask` commands. Each domain may add its own group/commands through `COMMAND_MODULES`."""

from __future__ import annotations

import importlib
import os
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from portal.core.roles import Role
from portal.extensions import db

# Domain modules that define a `commands: list[click.Command]`; each domain adds its line.
COMMAND_MODULES: list[str] = [
    "portal.core.backup",
    "portal.i18n_tools",
    "portal.support.cli",
    "portal.donations.cli",
    "portal.gifts.proposal_cli",
    "portal.statements.cli",
    "portal.payments.cli",
    "portal.receipts.cli",
    "portal.monthly.cli",
    "portal.erasure.cli",
    "portal.handover.cli",
]


@click.command("create-user")
@click.argument("email")
@click.option("--role", "role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--supplier", "supplier_code", default=None, help="Supplier code (role supplier).")
@click.option("--name", default="", help="Display name.")
@with_appcontext
def create_user_command(email: str, role: str, supplier_code: str | None, name: str) -> None:
    """Create an account; the password is read from standard input."""
    import sqlalchemy as sa

    from portal.accounts import accounts
    from portal.accounts.models import Supplier
    from portal.core.errors import DomainError

    session = db.session()
    supplier = None
    if supplier_code:
        supplier = session.scalar(sa.select(Supplier).where(Supplier.code == supplier_code))
        if supplier is None:
            raise click.ClickException(f"no supplier with code {supplier_code}")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = accounts.create_user(
            session, email, Role(role), name=name, password=password, supplier=supplier
        )
        session.flush()
        from portal.core.audit import audit

        audit(
            session, actor=None, action="role.granted", subject_type="user", subject_id=user.id,
            detail=f"{user.role.value} (create-user)",
        )  # fmt: skip
        session.commit()
    except DomainError as e:
        session.rollback()
        raise click.ClickException(str(e.message)) from e
    click.echo(f"created user {user.id} {user.email} role={user.role.value}")


@click.command("reset-totp")
@click.argument("email")
@with_appcontext
def reset_totp_command(email: str) -> None:
    """Forget a user's authenticator (lost phone) and print a single-use enrolment link (72
    hours) to hand to them: the password alone does not enrol a new one."""
    from portal.accounts import accounts, totp
    from portal.accounts.models import InvitationKind
    from portal.core.links import public_url

    session = db.session()
    user = accounts.find_user(session, accounts.normalise_email(email))
    if user is None:
        raise click.ClickException(f"no account {email}")
    totp.reset(session, user, by_user=None)
    token = accounts.invite(session, user, by_user=None, kind=InvitationKind.TOTP)
    session.commit()
    click.echo(f"reset totp for user {user.id}; every session ended. Enrolment link (72 h, once):")
    click.echo(public_url("auth.invitation", token=token))


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Fill the database with a believable Shobara programme (safe to run twice)."""
    from portal.core.errors import DomainError
    from portal.demo import seed

    password = os.environ.get("DEMO_PASSWORD", "demo-password")
    session = db.session()
    try:
        accounts = seed(session, password=password)
    except DomainError as error:  # e.g. a DEMO_PASSWORD shorter than the password rules allow
        session.rollback()
        raise click.ClickException(str(error.message)) from None
    session.commit()
    click.echo("Demo data ready. Log in with:")
    if not current_app.config.get("STAFF_TOTP_REQUIRED", True):
        click.echo("  (staff TOTP is switched off for this demo: STAFF_TOTP_REQUIRED=0)")
    for email, role in accounts:
        click.echo(f"  {role:<15} {email}  /  {password}")
    from portal.demo import hint as donor_hint

    if line := donor_hint(session):
        click.echo(line)


def register(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(reset_totp_command)
    for name in COMMAND_MODULES:
        for command in importlib.import_module(name).commands:
            app.cli.add_command(command)
