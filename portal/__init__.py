"""Furusato Portal: create_app() wires config, extensions, blueprints, CLI and error pages."""

from __future__ import annotations

from typing import Any

from flask import Flask

from portal import config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(config.ROOT / "templates"),
        static_folder=str(config.ROOT / "static"),
    )
    app.config.from_mapping(config.from_env(test_config))
    if test_config:
        app.config.from_mapping(test_config)
    config.check_shared_storage(app.config)

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client address and scheme as the trusted proxies saw them; the Host header is
        # not taken from them (mail links use PUBLIC_BASE_URL, never a Host).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from portal import extensions as ext

    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(config.ROOT / "migrations"))
    ext.login_manager.init_app(app)
    ext.csrf.init_app(app)
    ext.babel.init_app(app, locale_selector=ext.select_locale)
    ext.limiter.init_app(app)

    from portal.core import database, jobs, log_redaction

    log_redaction.install()  # no link tokens or query strings in access logs

    with app.app_context():
        database.configure_engine(ext.db.engine)
    jobs.init_app(app)

    from portal import models  # noqa: F401  (every table known to metadata and Alembic)
    from portal.web import errors, htmx, setup, uow, uploads

    uow.init_app(app)
    htmx.init_app(app)
    uploads.init_app(app)  # after htmx: it sets its own request class
    setup.init_app(app)
    errors.init_app(app)

    from portal.cli import register

    register(app)
    ext.limiter_counts_only(app)
    return app
