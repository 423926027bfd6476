"""Every htmx helper goes through here, so the helper package (htmx-flask) can be swapped.

A fragment is returned only for a real htmx swap: HX-Request set and the request neither
boosted nor a history restore (those want the full page). `Vary: HX-Request` keeps caches
from serving one for the other.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, make_response, render_template
from htmx_flask import Htmx
from htmx_flask import request as hx_request

_htmx = Htmx()


def init_app(app: Flask) -> None:
    _htmx.init_app(app)

    @app.after_request
    def _vary(response: Response) -> Response:
        response.vary.add("HX-Request")
        return response


def is_fragment_request() -> bool:
    hx = hx_request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render(page: str, fragment: str | None = None, **context: Any) -> str:
    """The fragment for an htmx swap, the whole page otherwise."""
    if fragment and is_fragment_request():
        return render_template(fragment, **context)
    return render_template(page, **context)


def trigger(response: Response, event: str) -> Response:
    response.headers["HX-Trigger"] = event
    return response


def redirect(url: str) -> Response:
    """A redirect that htmx follows as a full navigation (HX-Redirect) and a browser as 303."""
    if hx_request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    response = make_response("", 303)
    response.headers["Location"] = url
    return response


def target() -> str | None:
    return hx_request.htmx.target if hx_request.htmx else None
