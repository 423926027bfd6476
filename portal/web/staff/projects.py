"""Staff: crowdfunding projects — the list, the form (with the project's ID on each portal),
and a project's progress (amount, count, % of the goal, days left, the daily curve).

Only figures are shown (no donor): nothing here is personal data, so no audit row is written
for reading; creating and changing a project is audited by the domain."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.portals import PORTAL_LABELS, Portal
from portal.core.roles import can_manage_projects
from portal.crowdfunding import projects as uc
from portal.crowdfunding.models import CrowdfundingProject, ProjectState
from portal.extensions import db
from portal.monthly.charts import daily_bars
from portal.web.forms import FlaskForm, apply_domain_error, choices, nfkc
from portal.web.guards import requires
from portal.web.htmx import redirect, render
from portal.web.labels import PROJECT_PHASE_LABELS, PROJECT_STATE_LABELS

# The portals a project can be listed on (direct entry picks the project itself).
LISTED_PORTALS = tuple(p for p in Portal if p != Portal.DIRECT)


class ProjectForm(FlaskForm):
    title = StringField(_l("プロジェクト名"), validators=[DataRequired(), Length(max=200)])
    code = StringField(
        _l("公開用コード"), filters=[nfkc], validators=[DataRequired(), Length(max=40)]
    )
    purpose = TextAreaField(_l("目的・使い道"), validators=[Optional(), Length(max=4000)])
    goal_amount = IntegerField(
        _l("目標金額（円）"), filters=[nfkc], validators=[DataRequired(), NumberRange(min=1)]
    )
    starts_on = DateField(_l("開始日"), validators=[DataRequired()])
    ends_on = DateField(_l("終了日"), validators=[DataRequired()])
    gift_less = BooleanField(_l("返礼品なし（寄附のみ）"))
    state = SelectField(_l("状態"), choices=choices(PROJECT_STATE_LABELS.items()))


for _portal in LISTED_PORTALS:
    setattr(
        ProjectForm,
        f"id_{_portal.value}",
        StringField(
            _l("%(portal)s のプロジェクトID", portal=PORTAL_LABELS[_portal]),
            filters=[nfkc],
            validators=[Optional(), Length(max=64)],
        ),
    )
    setattr(
        ProjectForm,
        f"url_{_portal.value}",
        StringField(
            _l("%(portal)s の掲載ページURL", portal=PORTAL_LABELS[_portal]),
            validators=[Optional(), Length(max=500)],
        ),
    )


def _listing_rows(form: ProjectForm) -> list[tuple[str, object, object]]:
    return [
        (str(PORTAL_LABELS[p]), form[f"id_{p.value}"], form[f"url_{p.value}"])
        for p in LISTED_PORTALS
    ]


def _project(project_id: int) -> CrowdfundingProject:
    project = db.session.get(CrowdfundingProject, project_id)
    if project is None:
        abort(404)
    return project


def projects() -> str:
    return render(
        "staff/projects.html",
        rows=uc.project_list(db.session),
        states=PROJECT_STATE_LABELS,
    )


def _save(form: ProjectForm, project: CrowdfundingProject | None) -> CrowdfundingProject | None:
    try:
        saved = uc.save_project(
            db.session,
            uc.ProjectInput(
                code=form.code.data or "",
                title=form.title.data or "",
                purpose=form.purpose.data or "",
                goal_amount=form.goal_amount.data or 0,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                gift_less=form.gift_less.data,
                state=ProjectState(form.state.data),
            ),
            by_user=current_user,
            project=project,
        )
        uc.save_listings(
            db.session,
            saved,
            {
                p: (form[f"id_{p.value}"].data or "", form[f"url_{p.value}"].data or "")
                for p in LISTED_PORTALS
            },
            by_user=current_user,
        )
    except DomainError as err:
        apply_domain_error(form, err)
        return None
    return saved


def _form_page(form: ProjectForm, project: CrowdfundingProject | None) -> str:
    return render(
        "staff/project_form.html", form=form, project=project, listings=_listing_rows(form)
    )


@requires(can_manage_projects)
def project_new() -> Response | str | tuple[str, int]:
    form = ProjectForm()
    if not form.is_submitted():
        today = today_jst()
        form.starts_on.data = form.starts_on.data or today
        form.state.data = ProjectState.DRAFT.value
    if form.validate_on_submit():
        saved = _save(form, None)
        if saved is not None:
            flash(_("プロジェクト「%(title)s」を登録しました。", title=saved.title), "success")
            return redirect(url_for("staff.project_detail", project_id=saved.id))
    if form.is_submitted():
        return _form_page(form, None), 422
    return _form_page(form, None)


@requires(can_manage_projects)
def project_edit(project_id: int) -> Response | str | tuple[str, int]:
    project = _project(project_id)
    form = ProjectForm(obj=project)
    if not form.is_submitted():
        form.state.data = project.state.value
        # a backfilled project has no goal yet: the field starts empty, not at 0
        form.goal_amount.data = project.goal_amount or None
        for listing in project.listings:
            form[f"id_{listing.portal.value}"].data = listing.portal_project_id
            form[f"url_{listing.portal.value}"].data = listing.url
    if form.validate_on_submit():
        saved = _save(form, project)
        if saved is not None:
            flash(_("プロジェクト「%(title)s」を保存しました。", title=saved.title), "success")
            return redirect(url_for("staff.project_detail", project_id=saved.id))
    if form.is_submitted():
        return _form_page(form, project), 422
    return _form_page(form, project)


def project_detail(project_id: int) -> str:
    project = _project(project_id)
    figures = uc.progress(db.session, project)
    chart = Markup(
        daily_bars(
            [(d.day, d.count, d.amount) for d in figures.days],
            title=_("日別の寄附額（棒の上は件数）"),
            legend=_("日付（寄附日）"),
        )
    )
    return render(
        "staff/project_detail.html",
        project=project,
        figures=figures,
        chart=chart,
        days=[d for d in figures.days if d.count],
        portals=PORTAL_LABELS,
        states=PROJECT_STATE_LABELS,
        phases=PROJECT_PHASE_LABELS,
        today=today_jst(),
    )
