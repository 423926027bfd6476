"""The staff page for import mappings: edit as a form, preview a sample, save, history, stale
forms, the advanced JSON editor, revert and restore, and the import that then succeeds."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.core.audit import AuditEntry
from portal.core.jobs import JobRun
from portal.donations.importers import stored
from portal.donations.models import Donation
from tests.unit.test_import_mappings import RENAMED

URL = "/staff/donations/import/mappings/standard"


class _FormFields(HTMLParser):
    """The fields of the page's first multipart form, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.done = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("enctype") == "multipart/form-data" and not self.done:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("type") in ("hidden", "text", None) and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "textarea" and self._textarea:
            name = self._textarea
            self.fields[name] = self.fields[name].removeprefix("\r\n").removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def _form(client, url: str = URL) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormFields()
    parser.feed(page.get_data(as_text=True))
    return parser.fields


def _renamed(fields: dict[str, str]) -> dict[str, str]:
    """What a member of staff types: 寄附者氏名 for 氏名, and the portal's new 使途 wording."""
    assert fields["col_donor_name"] == "氏名"
    return {
        **fields,
        "col_donor_name": "寄附者氏名",
        "purposes": "こどもの未来のために = 子育て・教育",
        "note": "ポータルが見出しを変更",
    }


@pytest.fixture()
def operator(login, make_user):
    return login(make_user(Role.OPERATOR, name="取込 担当"))


def test_edit_preview_save_then_the_refused_file_imports(operator, session, make_gift):
    make_gift(code="HB-001")
    client = operator
    # the default mapping refuses the file at its header
    refused = client.post(
        URL,
        data={**_form(client), "action": "preview", "sample": (io.BytesIO(RENAMED), "s.csv")},
        content_type="multipart/form-data",
    )
    page = refused.get_data(as_text=True)
    assert "見出し行に必要な列「氏名」がありません。" in page
    assert "必須の項目に対応する列がありません：寄附者氏名" in page
    assert "対応なしの列（1列）" in page and '<p lang="ja">寄附者氏名</p>' in page

    # the edit, previewed through the sample uploaded a moment ago (not sent again)
    fields = _renamed(_form(client))
    token = _sample_token(page)
    preview = client.post(
        URL,
        data={**fields, "sample_token": token, "action": "preview"},
        content_type="multipart/form-data",
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "サンプルの読み取り結果（まだ保存していません）" in html
    rows = html.split('data-testid="sample-rows"')[1].split("</table>")[0]
    assert "R-1" in rows and "庄原 花子" in rows and "子育て・教育" in rows
    assert "こどもの未来のために" in rows and "入金済" in rows and "未入金" in rows
    assert '<span lang="ja" data-sample-field="donor_name">寄附者氏名</span>' in html
    assert "対応なしの列" not in html  # every column of the sample is matched
    assert stored.latest(session, "standard") is None  # a preview saves nothing
    viewed = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.subject_type == "import_sample")
    ).all()
    assert [(a.action, a.subject_id) for a in viewed] == [("view", "standard")]

    saved = client.post(
        URL,
        data={**fields, "sample_token": token, "action": "save"},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 303
    page = client.get(URL).get_data(as_text=True)
    assert "対応表を保存しました（版 1）。" in page and "使用中：版 1" in page
    history = page.split('data-testid="mapping-history"')[1].split("</table>")[0]
    assert "取込 担当" in history
    assert '見出し「<span lang="ja">寄附者氏名</span>」：追加 → 寄附者氏名' in history
    assert '見出し「<span lang="ja">氏名</span>」：削除（寄附者氏名）' in history
    assert (
        '使途の表記「<span lang="ja">こどもの未来のために</span>」：追加 → <span lang="ja">子育て・教育</span>'
        in history
    )
    assert "理由：ポータルが見出しを変更" in history

    # the import now reads the file with version 1, and the job says so
    upload = client.post(
        "/staff/donations/import",
        data={"portal": "standard", "file": (io.BytesIO(RENAMED), "renamed.csv")},
        content_type="multipart/form-data",
    )
    run = session.get(JobRun, int(upload.headers["Location"].rsplit("/", 1)[1]))
    assert run.result["new"] == 2 and run.result["mapping_version"] == 1
    client.post(
        "/staff/donations/import/apply",
        data={"portal": "standard", "token": run.result["token"]},
    )
    hanako = session.scalar(sa.select(Donation).where(Donation.portal_order_no == "R-1"))
    assert hanako is not None and hanako.purpose == "子育て・教育"


def _sample_token(page: str) -> str:
    parser = _FormFields()
    parser.feed(page)
    assert parser.fields["sample_token"]
    return parser.fields["sample_token"]


def test_a_stale_form_in_a_second_tab_is_refused_and_keeps_what_was_typed(operator, session):
    first_tab = _form(operator)
    second_tab = _form(operator)
    operator.post(URL, data={**_renamed(first_tab), "action": "save"})
    typed = {**second_tab, "pm_card": second_tab["pm_card"] + "\nPayPay", "action": "save"}
    refused = operator.post(URL, data=typed)
    html = refused.get_data(as_text=True)
    assert "開いている間に別の人が保存しました（現在は版 1）" in html
    assert "PayPay" in html  # what was typed is still in the form
    version, data = stored.current(session, "standard")
    assert version == 1 and "PayPay" not in data["payment_methods"]
    assert "寄附者氏名" in data["columns"]


def test_form_errors_are_translated_and_nothing_is_saved(operator, session):
    fields = _form(operator)
    bad = {
        **fields,
        "col_amount": "",
        "col_donor_name": "氏名\n受付番号",
        "purposes": "こどもの未来のために",
        "action": "save",
    }
    html = operator.post(URL, data=bad).get_data(as_text=True)
    assert "見出し「受付番号」が「ポータルの受付番号」と「寄附者氏名」の両方にあります。" in html
    html = operator.post(URL, data={**bad, "col_donor_name": "氏名"}).get_data(as_text=True)
    assert "1行目「こどもの未来のために」は「表記 = 使途」の形にしてください。" in html
    html = operator.post(URL, data={**bad, "col_donor_name": "氏名", "purposes": ""}).get_data(
        as_text=True
    )
    assert "必須の項目「寄附金額」の見出しがありません。" in html
    assert stored.latest(session, "standard") is None


def test_the_errors_in_english(login, make_user):
    client = login(make_user(Role.OPERATOR))
    client.post("/lang", data={"lang": "en", "next": URL})
    fields = _form(client)
    english = client.post(URL, data={**fields, "col_amount": "", "action": "save"})
    assert "The required field “Amount” has no header." in english.get_data(as_text=True)


def test_the_json_editor_validates_and_saves_a_version(operator, session):
    form = _form(operator)
    data = stored.default_data("standard")
    html = operator.post(
        URL + "/json", data={"version": form["version"], "raw": "{ not json"}
    ).get_data(as_text=True)
    assert "JSONとして読めません（1行目 3文字目）。" in html
    data["payment_methods"]["PayPay"] = "wallet"
    html = operator.post(
        URL + "/json", data={"version": "0", "raw": json.dumps(data, ensure_ascii=False)}
    ).get_data(as_text=True)
    assert "「決済方法の表記」の「PayPay」の値「wallet」は使えません。" in html
    data["payment_methods"]["PayPay"] = "card"
    saved = operator.post(
        URL + "/json", data={"version": "0", "raw": json.dumps(data, ensure_ascii=False)}
    )
    assert saved.status_code == 303
    row = stored.latest(session, "standard")
    assert (row.version, row.kind, row.data["payment_methods"]["PayPay"]) == (1, "json", "card")


def test_revert_to_default_and_restore_a_version(operator, session):
    operator.post(URL, data={**_renamed(_form(operator)), "action": "save"})
    operator.post(URL + "/restore", data={"version": "1", "restore": "0"})
    assert stored.current(session, "standard") == (2, stored.default_data("standard"))
    stale = operator.post(URL + "/restore", data={"version": "1", "restore": "1"})
    assert stale.status_code == 303 and stored.current(session, "standard")[0] == 2
    page = operator.get(URL).get_data(as_text=True)
    assert "別の人が保存しました（現在は版 2）" in page
    operator.post(URL + "/restore", data={"version": "2", "restore": "1"})
    version, data = stored.current(session, "standard")
    assert version == 3 and "寄附者氏名" in data["columns"]
    history = operator.get(URL).get_data(as_text=True)
    assert "以前の版を復元" in history and "（版 1 から）" in history and "既定に戻す" in history


def test_city_staff_read_the_mappings_but_cannot_change_them(login, make_user):
    city = login(make_user(Role.CITY))
    listing = city.get("/staff/donations/import/mappings").get_data(as_text=True)
    assert "楽天ふるさと納税" in listing and "既定（版 0）" in listing
    page = city.get("/staff/donations/import/mappings/rakuten").get_data(as_text=True)
    assert "ワンストップ特例申請書" in page  # 楽天's 項目名 are shown
    assert "保存する" not in page and "JSONを保存する" not in page
    assert city.post("/staff/donations/import/mappings/rakuten", data={}).status_code == 403
