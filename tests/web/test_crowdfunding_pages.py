"""Crowdfunding pages: the staff list, form and progress page, and the public figure the city
embeds (no login, no personal data)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.jobs import JobRun
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.crowdfunding.models import CrowdfundingProject, ProjectState
from portal.crowdfunding.projects import PUBLIC_KEYS
from tests.conftest import jst

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")

FORM = {
    "title": "庄原の桜を次の世代へ",
    "code": "sakura",
    "purpose": "桜並木の保全",
    "goal_amount": "1000000",
    "starts_on": "2026-12-01",
    "ends_on": "2027-02-28",
    "state": "open",
    "id_choice": "GCF-1",
    "url_choice": "https://www.furusato-tax.jp/gcf/1",
}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_operator_registers_a_project_with_its_portal_id(session, login, make_user):
    client = login(make_user(Role.OPERATOR))
    assert 'name="id_rakuten"' in client.get("/staff/projects/new").get_data(as_text=True)
    r = client.post("/staff/projects/new", data=FORM)
    assert r.status_code in (302, 303), r.get_data(as_text=True)
    project = session.scalar(sa.select(CrowdfundingProject))
    assert (project.code, project.goal_amount, project.state) == ("sakura", 1_000_000, "open")
    assert [(li.portal, li.portal_project_id) for li in project.listings] == [
        (Portal.CHOICE, "GCF-1")
    ]
    listed = client.get("/staff/projects").get_data(as_text=True)
    assert "庄原の桜を次の世代へ" in listed and "公開中（受付中）" in listed
    # editing keeps what was typed and can drop the listing
    edit = client.get(f"/staff/projects/{project.id}/edit").get_data(as_text=True)
    assert 'value="GCF-1"' in edit and 'value="1000000"' in edit
    r = client.post(
        f"/staff/projects/{project.id}/edit",
        data={**FORM, "id_choice": "", "url_choice": "", "goal_amount": "2000000"},
    )
    assert r.status_code in (302, 303)
    session.expire_all()
    assert project.goal_amount == 2_000_000 and project.listings == []


def test_form_errors_are_shown_beside_the_field_and_nothing_is_saved(
    session, login, make_user, make_project
):
    make_project("別のプロジェクト", code="taken", listings={Portal.CHOICE: "GCF-1"})
    client = login(make_user(Role.OPERATOR))
    for change, message in (
        ({"code": "Taken"}, "この公開用コードは別のプロジェクトが使っています。"),
        ({"code": "桜"}, "公開用コードは半角英小文字"),
        ({"ends_on": "2026-11-01"}, "終了日は開始日より後にしてください。"),
        ({"goal_amount": "0"}, 'id="goal_amount-error"'),
        ({}, "このプロジェクトIDは「別のプロジェクト」が使っています。"),
        ({"id_choice": "", "url_choice": "ftp://x"}, "https:// で始めてください"),
    ):
        r = client.post("/staff/projects/new", data={**FORM, **change})
        html = r.get_data(as_text=True)
        assert r.status_code == 422 and message in html, change
        assert 'value="庄原の桜を次の世代へ"' in html  # what was typed is kept
    assert session.scalar(sa.select(sa.func.count()).select_from(CrowdfundingProject)) == 1


def test_city_reads_projects_but_cannot_change_them(login, make_user, make_project):
    project = make_project()
    client = login(make_user(Role.CITY))
    listed = client.get("/staff/projects").get_data(as_text=True)
    assert project.title in listed and "/staff/projects/new" not in listed
    page = client.get(f"/staff/projects/{project.id}").get_data(as_text=True)
    assert f"/staff/projects/{project.id}/edit" not in page
    assert client.post("/staff/projects/new", data=FORM).status_code == 403
    assert client.post(f"/staff/projects/{project.id}/edit", data=FORM).status_code == 403


def test_progress_page_shows_amount_count_percent_days_left_and_the_curve(
    login, make_user, make_project, make_donation, frozen_clock
):
    frozen_clock.freeze(jst(2026, 12, 11, 8, 0))
    project = make_project(goal_amount=400_000, ends_on=date(2026, 12, 31))
    make_donation(amount=100_000, lines=[], project_id=project.id, paid_on=date(2026, 12, 3))
    make_donation(amount=50_000, lines=[], project_id=project.id, paid_on=date(2026, 12, 3))
    make_donation(amount=1_000_000, lines=[], paid_on=date(2026, 12, 3))  # not the project's
    client = login(make_user(Role.CITY))
    html = client.get(f"/staff/projects/{project.id}").get_data(as_text=True)
    text = _text(html)
    assert "150,000円" in text and "2件" in text and "37%" in text and "残り20日" in text
    assert "1,000,000円" not in text.replace("目標 1,000,000", "")
    assert "<svg" in html and 'role="img"' in html
    assert re.search(r"12月3日.*?2.*?150,000円.*?150,000円", text)  # the data table
    assert "寄附 花子" not in html  # figures only


def test_public_json_has_exactly_the_public_keys_and_no_personal_data(
    client, make_project, make_donation
):
    project = make_project(code="sakura")
    make_donation(amount=12_345, lines=[], project_id=project.id, paid_on=date(2026, 12, 2),
                  message="応援しています", publish_name=True)  # fmt: skip
    r = client.get("/projects/sakura/progress.json")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == set(PUBLIC_KEYS)
    assert (body["amount"], body["count"], body["goal_amount"]) == (12_345, 1, 1_000_000)
    raw = r.get_data(as_text=True)
    for personal in ("寄附 花子", "キフ", "hanako", "7270011", "庄原市東本町", "応援しています"):
        assert personal not in raw
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in r.headers["Cache-Control"] and "max-age=" in r.headers["Cache-Control"]
    assert "Set-Cookie" not in r.headers


def test_unknown_or_unpublished_projects_are_not_found(client, make_project):
    make_project(code="draft", state=ProjectState.DRAFT)
    make_project("隠した", code="hidden", state=ProjectState.ARCHIVED)
    make_project("終わった", code="ended", state=ProjectState.CLOSED)
    for code in ("draft", "hidden", "nothing"):
        assert client.get(f"/projects/{code}/progress.json").status_code == 404
        assert client.get(f"/projects/{code}/progress").status_code == 404
    assert client.get("/projects/ended/progress.json").status_code == 200


def test_embeddable_page_may_be_framed_and_reads_in_english(
    client, make_project, make_donation, app
):
    project = make_project(code="sakura")
    make_donation(amount=30_000, lines=[], project_id=project.id, paid_on=date(2026, 12, 2))
    r = client.get("/projects/sakura/progress")
    assert r.status_code == 200
    assert "frame-ancestors *" in r.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in r.headers
    ja = r.get_data(as_text=True)
    assert "30,000" in ja and "寄附 1件" in ja and "寄附 花子" not in ja
    en = client.get("/projects/sakura/progress?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en and "1 donations" in en
    leftover = _text(en).replace(project.title, "").replace(app.config["CITY_NAME"], "")
    assert not JAPANESE.search(leftover), leftover
    # staff pages keep refusing to be framed
    assert client.get("/login").headers["X-Frame-Options"] == "DENY"


def test_staff_progress_page_reads_in_english(client, login, make_user, make_project):
    project = make_project()
    login(make_user(Role.OPERATOR))
    client.post("/lang", data={"lang": "en"})
    html = client.get(f"/staff/projects/{project.id}").get_data(as_text=True)
    main = html[html.index("<main") : html.index("</main>")]
    leftover = _text(main).replace(project.title, "")
    assert "days left" in leftover and not JAPANESE.search(leftover), leftover
    form = client.get(f"/staff/projects/{project.id}/edit").get_data(as_text=True)
    main = form[form.index("<main") : form.index("</main>")]
    leftover = _text(main)
    assert "Project ID on" in leftover and not JAPANESE.search(leftover), leftover


def test_direct_entry_offers_only_open_projects(login, make_user, make_project):
    make_project("受付中の桜")
    make_project("準備中の森", state=ProjectState.DRAFT)
    client = login(make_user(Role.OPERATOR))
    form = client.get("/staff/donations/new").get_data(as_text=True)
    select = form[
        form.index('name="project_id"') : form.index("</select>", form.index('name="project_id"'))
    ]
    assert "受付中の桜" in select and "準備中の森" not in select


@pytest.mark.usefixtures("app")
def test_import_preview_lists_unknown_projects_once_with_their_row_count(
    session, login, make_user, make_project
):
    make_project("知っているプロジェクト")
    client = login(make_user(Role.OPERATOR))
    data = (
        "受付番号,寄附日,決済方法,寄附金額,氏名,プロジェクト名\r\n"
        "S-1,2026/12/01,銀行振込,5000,庄原 三郎,謎のプロジェクト\r\n"
        "S-2,2026/12/01,銀行振込,5000,庄原 四郎,謎のプロジェクト\r\n"
        "S-3,2026/12/01,銀行振込,5000,庄原 五郎,知っているプロジェクト\r\n"
    ).encode()
    html = client.post(
        "/staff/donations/import",
        data={"portal": "standard", "file": (io.BytesIO(data), "export.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    run = session.scalar(sa.select(JobRun).order_by(JobRun.id.desc()))
    assert run.result["unknown_projects"] == [["謎のプロジェクト", 2]]
    assert run.result["new"] == 1
    start = html.index('id="unknown-projects"')
    section = html[start : html.index("</section>", start)]
    assert section.count("謎のプロジェクト") == 1 and "知っているプロジェクト" not in section
    assert re.search(r"謎のプロジェクト</td><td[^>]*>2</td>", section)
    assert "庄原 三郎" not in str(run.result)
