"""Staff blueprint (operator staff and city staff). Its modules are its table of contents."""

from __future__ import annotations

from flask import Blueprint

from portal.web.guards import guard

bp = Blueprint("staff", __name__, url_prefix="/staff")
guard(bp)

from portal.web.staff import (  # noqa: E402, F401
    audit,
    consultations,
    dashboard,
    deliveries,
    donations,
    gifts,
    orders,
    proposals,
    receipts,
    requests,
    statements,
    suppliers,
)
