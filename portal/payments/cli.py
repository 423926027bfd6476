"""`flask payments run YYYY-MM --out DIR`: the month's payment run (made, or rebuilt while a
draft) from the confirmed statements, its 全銀 総合振込 file and one 支払通知書 per supplier."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.core.errors import DomainError
from portal.extensions import db
from portal.payments import service, zengin
from portal.statements.models import StatementState
from portal.statements.service import month_range, month_statements, normalise_month


def default_transfer_day(month: str) -> date:
    """The 25th of the month after MONTH: the operator pays suppliers then."""
    _, next_month = month_range(month)
    return next_month.replace(day=25)


@click.group("payments", help="Supplier and carrier payments from confirmed statements.")
def payments() -> None:
    pass


@payments.command("run")
@click.argument("month")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--transfer-on",
    "transfer_on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="振込指定日 (default: the 25th of the next month).",
)
@with_appcontext
def run(month: str, out_dir: Path, transfer_on: object) -> None:
    """Make MONTH's payment run and write the transfer file and the advice PDFs to DIR."""
    from portal.documents.payment_advice import advice_filename, render_advice

    session = db.session()
    try:
        month = normalise_month(month)
        day = transfer_on.date() if transfer_on is not None else default_transfer_day(month)  # type: ignore[attr-defined]
        existing = service.run_for_month(session, month)
        run = existing if existing is not None and existing.is_paid else None
        if run is None:
            run = service.build_run(session, month, transfer_on=day, by_user=None)
        remitter = zengin.remitter_from_config(current_app.config)
        raw = service.transfer_file(session, run, remitter, by_user=None)
    except DomainError as err:
        session.rollback()
        raise click.ClickException(str(err.message)) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / service.transfer_filename(run)).write_bytes(raw)
    for line in run.supplier_lines:
        (out_dir / advice_filename(run, line)).write_bytes(render_advice(session, run, line))
    session.commit()
    waiting = [st.supplier.code for st in month_statements(session, month)
               if st.state != StatementState.CONFIRMED]  # fmt: skip
    if waiting:
        click.echo(f"not confirmed yet (next run): {' '.join(waiting)}")
    for line in run.carrier_lines:
        click.echo(f"carrier {line.payee_code} amount={line.amount}")
    transfers = [ln for ln in run.supplier_lines if ln.amount > 0]
    click.echo(
        f"payments run month={month} state={run.state.value} transfer_on={run.transfer_on} "
        f"file={out_dir / service.transfer_filename(run)}"
    )
    click.echo(f"suppliers={len(transfers)} total={sum(ln.amount for ln in transfers)}")


commands = [payments]
