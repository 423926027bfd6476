"""Every Flask extension lives here, created unbound and initialised in create_app()."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from flask import Flask, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.core.models import Base

db = SQLAlchemy(model_class=Base)
# The base class of every model. Flask-SQLAlchemy builds db.Model at run time (Base plus its
# bind-key and query mixins), and a type checker cannot take an attribute as a base class, so it
# is told Base, which db.Model subclasses; at run time the models still derive from db.Model.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Used as a counter store only: portal.web.auth and portal.donors.access count and test their
# own keys through `limiter.limiter`; no route carries @limiter.limit.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def limiter_counts_only(app: Flask) -> None:
    """Take off the limiter's per-request hooks (a look for a route limit before every request,
    headers after it: ~35 µs each time, for nothing) while no limit is declared. Called once
    every blueprint is registered; should a route or blueprint ever get a limit, or default or
    application limits be set, the hooks stay and enforce it."""
    manager = limiter.limit_manager
    declared = (
        manager.default_limits
        or manager.application_limits
        or getattr(manager, "_decorated_limits", True)
        or getattr(manager, "_blueprint_limits", True)
    )
    if declared:
        return
    app.before_request_funcs[None] = [
        f for f in app.before_request_funcs[None] if f != limiter._check_request_limit
    ]
    app.after_request_funcs[None] = [
        f
        for f in app.after_request_funcs[None]
        if not (isinstance(f, partial) and f.args[:1] == (limiter,))
    ]


def select_locale() -> str:
    """Language switch (cookie) first, then ja: Japanese is the default, not the browser's."""
    from flask import current_app

    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.cookies.get("lang")
    if lang is not None and lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]
