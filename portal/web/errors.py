"""Translated error pages; htmx requests get a short fragment the page can show."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.web.htmx import is_fragment_request
from portal.web.uploads import MB

MESSAGES = {
    400: (
        _l("リクエストが正しくありません"),
        _l("入力内容をご確認のうえ、もう一度お試しください。"),
    ),
    403: (
        _l("このページを見る権限がありません"),
        _l("別のアカウントでログインするか、担当者にお問い合わせください。"),
    ),
    404: (
        _l("ページが見つかりません"),
        _l("URLをご確認ください。ページが移動または削除された可能性があります。"),
    ),
    405: (_l("この操作はできません"), _l("画面を読み込み直してからもう一度お試しください。")),
    413: (
        _l("ファイルが大きすぎます"),
        _l("ファイルのサイズを小さくしてから、もう一度アップロードしてください。"),
    ),
    429: (_l("試行回数が多すぎます"), _l("しばらく時間をおいてから、もう一度お試しください。")),
    500: (
        _l("システムエラーが発生しました"),
        _l(
            "お手数ですが、時間をおいてもう一度お試しください。解決しない場合はお問い合わせください。"
        ),
    ),
}


def _donor_page() -> bool:
    """The request came from the donor pages (no account): their way back is the look-up,
    never the staff login."""
    return request.path == "/donor" or request.path.startswith("/donor/")


def _render(code: int, title: str | None = None, detail: str | None = None) -> tuple[str, int]:
    default_title, default_detail = MESSAGES.get(code, MESSAGES[500])
    title = title or str(default_title)
    detail = detail or str(default_detail)
    template = "errors/_error.html" if is_fragment_request() else "errors/error.html"
    donor = _donor_page()
    home_url = url_for("donor.index") if donor else url_for("home")
    html = render_template(
        template, code=code, title=title, detail=detail, donor=donor, home_url=home_url
    )
    return html, code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_e: CSRFError) -> tuple[str, int] | Response:
        if _donor_page():
            # The donor's session (and its CSRF token) ended: the look-up again, with what
            # was typed kept (a fresh token comes with the page).
            from portal.web.donor.donations import expired_lookup

            return expired_lookup()
        return _render(
            400,
            _("画面の有効期限が切れました"),
            _(
                "ページを読み込み直してから、もう一度送信してください。入力内容はブラウザの「戻る」で確認できます。"
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> tuple[str, int]:
        if e.code == 413 and request.max_content_length:
            return _render(
                413,
                detail=_(
                    "ここでアップロードできるのは %(mb)s MB までです。"
                    "ファイルを分けるか小さくしてから、もう一度アップロードしてください。",
                    mb=max(1, request.max_content_length // MB),
                ),
            )
        return _render(e.code or 500)

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def _database_away(e: sa.exc.DBAPIError) -> Response:
        """The database went away (restart, failover, network): a translated 503 rendered
        without touching it. The pool drops the dead connection, and pool_pre_ping tests
        each one it hands out, so the next request after the database returns just works."""
        app.logger.warning("database unavailable: %s", type(e.orig).__name__)
        try:
            db.session.rollback()
        except sa.exc.SQLAlchemyError:
            db.session.close()
        template = (
            "errors/_unavailable.html" if is_fragment_request() else "errors/unavailable.html"
        )
        # Straight through Jinja: render_template's context processors load current_user
        # and the navigation counts, which would ask the database again.
        response = make_response(app.jinja_env.get_template(template).render(), 503)
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def _crash(e: Exception) -> tuple[str, int]:
        app.logger.exception("unhandled error")
        db.session.rollback()
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise e
        return _render(500)
