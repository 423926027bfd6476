"""Donor self-service: no account; a donation number + postal code or a one-time link."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("donor", __name__, url_prefix="/donor")


@bp.get("/")
def index() -> str:
    return render_template("donor/index.html")
