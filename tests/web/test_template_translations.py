"""Templates' `_()` follow the request's language, and `force_locale` inside a request (a
mail in Japanese sent from an English page) gets its own language and hands the page's back."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, refresh

from portal.core.roles import Role
from portal.donors.models import DonorRequest, ReissueReason, RequestKind
from portal.extensions import db


def _donor_word() -> str:
    return render_template_string('{{ _("寄附者") }}')


def test_a_template_follows_the_language_cookie_and_force_locale(app) -> None:
    # Each in an application context of its own (as each request of a server has).
    with app.app_context(), app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert _donor_word() == "Donor"
        with force_locale("ja"):
            assert _donor_word() == "寄附者"
        assert _donor_word() == "Donor"
    with app.app_context(), app.test_request_context("/"):
        assert _donor_word() == "寄附者"
        with force_locale("en"):
            assert _donor_word() == "Donor"
        assert _donor_word() == "寄附者"


def test_an_english_page_is_english_throughout(client, make_donation) -> None:
    from tests.web.test_donor_access import lookup

    d = make_donation()
    client.post("/lang", data={"lang": "en"})
    lookup(client, d.donation_no, "7270011")
    html = client.get(f"/donor/donations/{d.id}").get_data(as_text=True)
    assert "Donor" in html and "寄附者" not in html


def test_a_translated_sentence_escapes_what_is_put_into_it(app) -> None:
    with app.app_context(), app.test_request_context("/"):
        html = render_template_string(
            '{{ _("%(name)s 様", name=name) }}', name="<script>alert(1)</script>"
        )
        assert html == "&lt;script&gt;alert(1)&lt;/script&gt; 様"


def test_a_macro_imported_from_another_template_follows_each_request_language(app) -> None:
    # jinja keeps an imported template's module (and its context) between renders: its
    # macros' `_()` must still look the request's language up, not the first request's.
    from wtforms import Form, StringField
    from wtforms.validators import DataRequired

    class NameForm(Form):
        name = StringField("Name", validators=[DataRequired()])

    page = '{% import "macros/forms.html" as forms %}{{ forms.field(form.name) }}'
    for lang, word, other in [("ja", "必須", "Required"), ("en", "Required", "必須")] * 2:
        with app.app_context(), app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
            html = render_template_string(page, form=NameForm())
        assert word in html and other not in html, (lang, html)


def test_a_remark_in_brackets_is_bracketed_as_each_language_writes_it(app) -> None:
    page = '{{ label|paren }}|{% filter paren %}<b>{{ _("予定日") }}</b> {{ label }}{% endfilter %}'
    for lang, want in [
        ("ja", "（&lt;紛失&gt;）|（<b>予定日</b> &lt;紛失&gt;）"),
        ("en", " (&lt;紛失&gt;)| (<b>Expected</b> &lt;紛失&gt;)"),
    ]:
        with app.app_context(), app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
            assert render_template_string(page, label="<紛失>") == want, lang


def test_the_staff_request_list_counts_in_the_page_language(login, make_user, make_donation):
    d = make_donation()
    db.session.add(
        DonorRequest(
            donation_id=d.id, kind=RequestKind.RECEIPT_REISSUE, reissue_reason=ReissueReason.LOST
        )
    )
    db.session.commit()
    staff = login(make_user(Role.OPERATOR))
    ja = staff.get("/staff/requests").get_data(as_text=True)
    assert "（紛失した）" in ja and "（1）" in ja
    staff.post("/lang", data={"lang": "en"})
    refresh()  # the test's app context keeps the locale of the last request
    en = staff.get("/staff/requests").get_data(as_text=True)
    assert " (Lost)" in en and " (1)" in en and "（" not in en


def test_english_pages_name_the_city_in_english_and_never_another_citys_name(app, monkeypatch):
    from portal.config import from_env

    given = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}
    monkeypatch.delenv("CITY_NAME", raising=False)
    monkeypatch.delenv("CITY_NAME_EN", raising=False)
    assert from_env(given)["CITY_NAME_EN"] == "Shobara City"
    monkeypatch.setenv("CITY_NAME", "紋別市")  # another city that has not set its English name
    settings = from_env(given)
    assert settings["CITY_NAME_EN"] == ""
    page = "{{ city_name() }}"
    with monkeypatch.context() as m:
        m.setitem(app.config, "CITY_NAME", settings["CITY_NAME"])
        m.setitem(app.config, "CITY_NAME_EN", settings["CITY_NAME_EN"])
        for lang in ("ja", "en"):
            with (
                app.app_context(),
                app.test_request_context("/", headers={"Cookie": f"lang={lang}"}),
            ):
                assert render_template_string(page) == "紋別市", lang
    for lang, name in (("en", "Shobara City"), ("ja", "庄原市")):
        with app.app_context(), app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
            assert render_template_string(page) == name, lang
