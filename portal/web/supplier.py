"""Supplier portal: a supplier only ever sees its own company's things (queries are scoped)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from flask_login import current_user

from portal.gifts.models import Gift
from portal.web.guards import guard

bp = Blueprint("supplier", __name__, url_prefix="/supplier")
guard(bp)


def own_gifts() -> sa.Select[tuple[Gift]]:
    return sa.select(Gift).where(Gift.supplier_id == current_user.supplier_id).order_by(Gift.code)


# The dashboard (index) and the order screens live in supplier_orders.
from portal.web import (  # noqa: E402, F401
    supplier_orders,
    supplier_problems,
    supplier_statements,
    supplier_stock,
)
