"""The desk's monthly analysis [6(4)ウ]: volume, categories and response times, on screen
and as a file."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    make_response,
    render_template,
    request,
)
from flask_login import current_user

from portal.core.audit import audit
from portal.extensions import db
from portal.support.models import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
)


def analysis() -> str:
    from portal.core.dates import today_jst
    from portal.support import analysis as an

    year, month = an.parse_month(request.args.get("month"), today_jst())
    s = an.monthly_summary(db.session, year, month)
    return render_template(
        "support/analysis.html",
        s=s,
        month=f"{year}-{month:02d}",
        categories=CATEGORY_LABELS,
        channels=CHANNEL_LABELS,
        category_by_value={c.value: label for c, label in CATEGORY_LABELS.items()},
        channel_by_value={c.value: label for c, label in CHANNEL_LABELS.items()},
    )


def analysis_export(fmt: str) -> Response:
    from portal.core.dates import today_jst
    from portal.support import analysis as an

    year, month = an.parse_month(request.args.get("month"), today_jst())
    if fmt == "csv":
        data, mimetype = (
            an.to_csv(db.session, year, month),
            "text/csv",
        )  # Werkzeug adds "; charset=utf-8"
    elif fmt == "xlsx":
        data = an.to_xlsx(db.session, year, month)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    audit(
        db.session,
        actor=current_user,
        action="export",
        subject_type="support_analysis",
        subject_id=f"{year}-{month:02d}",
        label=f"問い合わせ分析 {year}-{month:02d}",
    )
    response = make_response(data)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = (
        f'attachment; filename="support-{year}-{month:02d}.{fmt}"'
    )
    return response
