"""Blueprints, login loading, template filters and response headers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from babel.support import NullTranslations
from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from portal.accounts import sessions as user_sessions
from portal.accounts.models import User
from portal.core import dates, health, money
from portal.extensions import db, login_manager
from portal.shipping.carriers import CARRIER_LABELS
from portal.web.guards import may, safe_next

# Strict CSP: no inline script or style anywhere (htmx's indicator CSS is in our stylesheet).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


def _locale() -> str:
    return str(get_locale() or "ja")


def format_date(value: date | datetime | None, weekday: bool = True) -> str:
    """2026年12月31日(木) / Thu 31 Dec 2026, in JST."""
    return "" if value is None else dates.format_date(value, _locale(), weekday=weekday)


def parenthesised(value: object) -> Markup:
    """A remark in brackets, as each language writes them: 受付（2） / Received (2). The
    value is escaped unless it is markup already (a `{% filter paren %}` block's output)."""
    if _locale() == "en":
        return Markup(" ({})").format(value)
    return Markup("（{}）").format(value)


def city_name() -> str:
    """The city as the page's language names it (庄原市 / Shobara City)."""
    cfg = current_app.config
    if _locale() == "en" and cfg.get("CITY_NAME_EN"):
        return str(cfg["CITY_NAME_EN"])
    return str(cfg["CITY_NAME"])


def format_month(value: str | None) -> str:
    """A statement month "2026-10" as 2026年10月分 / October 2026."""
    if not value:
        return ""
    year, _, month = value.partition("-")
    if not (year.isdigit() and month.isdigit()):
        return value
    if _locale() == "en":
        return date(int(year), int(month), 1).strftime("%B %Y")
    return f"{int(year)}年{int(month)}月分"


def format_datetime(value: datetime | None) -> str:
    return "" if value is None else dates.format_datetime(value, _locale())


def request_translations() -> NullTranslations:
    """Flask-Babel's `get_translations()`, looked up once per request and locale instead of on
    every `_()` of a template (a page has about fifty; each lookup walked `g` four times and
    spelled the locale out). Kept beside the locale object Flask-Babel holds for the request,
    so `force_locale` (a mail in Japanese from an English page) gets its own."""
    ctx = g.get("_flask_babel")
    if ctx is not None:
        cached = getattr(ctx, "portal_translations", None)
        if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
            return cached[1]
    translations = get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.portal_translations = (ctx.babel_locale, translations)
    return translations


@pass_eval_context
def _gettext(eval_ctx: EvalContext, string: str, /, **variables: object) -> str:
    """Jinja's new-style gettext (the translation autoescaped as Markup, always %-formatted
    with the variables, which are escaped) minus its two `Context.call` indirections: `_()`
    is the most called function of every page. It needs only the evaluation context (is the
    template autoescaped?), so jinja does not derive a context for each call in a loop; a
    sentence with neither variables nor a `%` skips the formatting (`%` of an empty mapping
    would return it unchanged)."""
    rv = request_translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    if variables or "%" in rv:
        return rv % variables
    return rv


def install_gettext(app: Flask) -> None:
    """The templates' `_()`, `ngettext` … through `request_translations` (Flask-Babel
    installs the same callables looking the translations up each time)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(gettext=_gettext, _=_gettext)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie (it carries the server-side session's id), marked Secure whenever
    the request itself is secure, not only when SESSION_COOKIE_SECURE says so."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure
        )


def init_app(app: Flask) -> None:
    from portal.web import auth, desk, donor, public, staff, supplier
    from portal.web.auth import SESSION_ID_KEY

    for bp in (auth.bp, donor.bp, supplier.bp, staff.bp, desk.bp, public.bp):
        app.register_blueprint(bp)

    app.session_interface = SessionInterface()
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("続けるにはログインしてください。")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        uid, _, version = user_id.partition(":")
        if not uid.isdigit():
            return None
        # The cookie alone proves nothing: its session id must name a live server-side
        # session of this user (ended by logout, a password change, a TOTP reset, "log out
        # everywhere", or the idle and absolute limits). A remember cookie has no id.
        user = user_sessions.load_user(
            db.session,
            int(uid),
            session.get(SESSION_ID_KEY),
            touch=not (request.endpoint or "").endswith("poll"),  # polling is not activity
        )
        if user is None or str(user.session_version) != version:
            return None
        return user

    app.jinja_env.filters["yen"] = lambda v: money.format_yen(v, _locale())
    app.jinja_env.filters["jdate"] = format_date
    app.jinja_env.filters["jdatetime"] = format_datetime
    app.jinja_env.filters["jmonth"] = format_month
    app.jinja_env.filters["wareki"] = dates.wareki
    app.jinja_env.filters["paren"] = parenthesised
    app.jinja_env.filters["carrier"] = lambda code: CARRIER_LABELS.get(code, code)
    app.jinja_env.globals["current_locale"] = _locale
    app.jinja_env.globals["city_name"] = city_name
    app.jinja_env.globals["may"] = may
    app.jinja_env.add_extension("jinja2.ext.do")
    install_gettext(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
            # the older header says the same; a page that may be framed (the public
            # crowdfunding progress) sets its own policy and goes without it
            response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint and request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure and app.config["HSTS_MAX_AGE"]:
            response.headers.setdefault(
                "Strict-Transport-Security",
                f"max-age={app.config['HSTS_MAX_AGE']}; includeSubDomains",
            )
        return response

    @app.get("/")
    def home() -> Response:
        return redirect(url_for("auth.login"))

    @app.post("/lang")
    def set_language() -> Response:
        lang = request.form.get("lang", "ja")
        target = safe_next(request.form.get("next")) or url_for("auth.login")
        response = make_response(redirect(target, 303))
        if lang in app.config["LANGUAGES"]:
            response.set_cookie(
                "lang",
                lang,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                httponly=True,
                secure=request.is_secure,
            )
        return response

    favicon_bytes: list[bytes] = []

    @app.get("/favicon.ico")
    def favicon() -> Response:
        # Browsers ask for it at the root whatever the page links; the file is in static/.
        # Served from memory (4 kB): no file handle left open per request.
        if not favicon_bytes:
            favicon_bytes.append((Path(app.static_folder or "static") / "favicon.ico").read_bytes())
        response = make_response(favicon_bytes[0])
        response.mimetype = "image/vnd.microsoft.icon"
        response.cache_control.max_age = 86400
        return response

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        report, healthy = health.check(app)
        return jsonify(report), 200 if healthy else 503
