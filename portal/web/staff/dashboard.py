from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_login import current_user

from portal.accounts.models import Supplier
from portal.core.roles import Role
from portal.extensions import db
from portal.gifts.models import Gift, GiftStatus
from portal.web.staff import bp


@bp.get("/")
def index() -> str:
    counts = {
        "suppliers": db.session.scalar(sa.select(sa.func.count(Supplier.id))),
        "gifts_listed": db.session.scalar(
            sa.select(sa.func.count(Gift.id)).where(Gift.status == GiftStatus.LISTED)
        ),
        "gifts_over_limit": db.session.scalar(
            sa.select(sa.func.count(Gift.id)).where(
                Gift.procurement_cost * 100 > Gift.required_amount * 30
            )
        ),
    }
    template = "staff/city_dashboard.html" if current_user.role == Role.CITY else "staff/index.html"
    return render_template(template, counts=counts)
