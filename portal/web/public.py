"""Public pages (no login): a crowdfunding project's progress the city embeds on its site.

Only a published project (公開中 or 終了) is found; any other code is a 404. What is shown is
`portal.crowdfunding.projects.public_figure`: totals, the goal and the period — no donor.
The HTML page may be framed by any site; the JSON may be read from any origin. Both may be
cached for a few minutes (the figure moves with each import, not by the second).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import force_locale, get_locale
from werkzeug.wrappers import Response

from portal.crowdfunding import projects as uc
from portal.extensions import db
from portal.web.labels import PROJECT_PHASE_LABELS

bp = Blueprint("public", __name__)

CACHE_SECONDS = 300
# The app's policy with one change: any site may frame this page.
EMBED_CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'none'; frame-ancestors *; form-action 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def _figure(code: str) -> dict[str, object]:
    project = uc.public_project(db.session, code)
    if project is None:
        abort(404)
    return uc.public_figure(project, uc.progress(db.session, project))


def _cached(response: Response) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def project_progress_json(code: str) -> Response:
    response = jsonify(_figure(code))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _cached(response)


def project_progress(code: str) -> Response:
    """?lang=en picks the language: a framed page has no language cookie of its own."""
    figure = _figure(code)
    lang = request.args.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        lang = str(get_locale() or "ja")
    with force_locale(lang):
        page = render_template("public/progress.html", figure=figure, phases=PROJECT_PHASE_LABELS)
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMBED_CSP
    return _cached(response)


bp.add_url_rule("/projects/<code>/progress.json", view_func=project_progress_json)
bp.add_url_rule("/projects/<code>/progress", view_func=project_progress)
