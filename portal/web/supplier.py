"""Supplier portal: a supplier only ever sees its own company's things (queries are scoped)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from portal.extensions import db
from portal.gifts.models import Gift
from portal.web.guards import guard

bp = Blueprint("supplier", __name__, url_prefix="/supplier")
guard(bp)


def own_gifts() -> sa.Select[tuple[Gift]]:
    return sa.select(Gift).where(Gift.supplier_id == current_user.supplier_id).order_by(Gift.code)


@bp.get("/")
def index() -> str:
    gifts = db.session.scalars(own_gifts()).all()
    return render_template("supplier/index.html", gifts=gifts, company=current_user.supplier)
