"""Support desk (staff inbox)."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.web.guards import guard

bp = Blueprint("support", __name__, url_prefix="/support")
guard(bp)


@bp.get("/")
def index() -> str:
    return render_template("support/index.html")
