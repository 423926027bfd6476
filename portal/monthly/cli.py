"""`flask invoice YYYY-MM --out DIR` and `flask monthly-report YYYY-MM --out DIR`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.core.errors import DomainError
from portal.extensions import db
from portal.monthly import documents, invoice, report
from portal.statements.service import normalise_month


def _month(month: str) -> str:
    try:
        return normalise_month(month)
    except DomainError as err:
        raise click.BadParameter(str(err.message), param_hint="MONTH") from None


@click.command("invoice")
@click.argument("month")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def invoice_command(month: str, out: Path) -> None:
    """Issue MONTH's city invoice (or take the one already issued) and write its PDF and xlsx."""
    month = _month(month)
    session = db.session()
    try:
        inv = invoice.current_invoice(session, month) or invoice.issue(session, month, by_user=None)
        session.commit()
    except DomainError as err:
        session.rollback()
        raise click.ClickException(str(err.message)) from None
    out.mkdir(parents=True, exist_ok=True)
    pdf = out / f"invoice-{inv.number}.pdf"
    xlsx = out / f"invoice-{inv.number}.xlsx"
    pdf.write_bytes(documents.invoice_pdf(inv))
    xlsx.write_bytes(documents.invoice_xlsx(inv))
    click.echo(f"pdf={pdf}")
    click.echo(f"xlsx={xlsx}")
    click.echo(f"invoice={inv.number} total={inv.total}")


@click.command("monthly-report")
@click.argument("month")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def monthly_report_command(month: str, out: Path) -> None:
    """Write MONTH's business report (業務報告書) as one PDF and one xlsx; the report is opened
    as a draft if it does not exist yet (submitting stays a staff action)."""
    month = _month(month)
    session = db.session()
    try:
        rep = report.open_report(session, month, by_user=None)
        session.commit()
    except DomainError as err:
        session.rollback()
        raise click.ClickException(str(err.message)) from None
    figures = report.figures(session, month)
    out.mkdir(parents=True, exist_ok=True)
    pdf = out / f"monthly-report-{month}.pdf"
    xlsx = out / f"monthly-report-{month}.xlsx"
    pdf.write_bytes(documents.report_pdf(figures, rep))
    xlsx.write_bytes(documents.report_xlsx(figures, rep))
    click.echo(f"donations={figures.count} amount={figures.amount} shipped={figures.shipped_units}")
    click.echo(f"report={month} pdf={pdf} xlsx={xlsx}")


commands = [invoice_command, monthly_report_command]
