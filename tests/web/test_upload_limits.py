"""Upload sizes: each upload route has its own body limit, applied wherever the body is first
read (CSRF protection reads the form before the view), and a refused upload gets a
translated page inside the normal layout that says the limit."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.core.jobs import JobRun
from portal.web.uploads import DEFAULT_MB, UPLOAD_LIMITS

MB = 1024 * 1024
HEADER = (
    "受付番号,寄附日,入金日,決済方法,寄附金額,氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,"
    "返礼品コード,数量,配送先氏名,配送先郵便番号,配送先住所,配送先電話番号,寄附使途,ワンストップ希望,"
    "受領証明書要否,氏名公表,応援メッセージ"
)
ROW = (
    "U-0001,2026/12/01,2026/12/01,クレジットカード,10000,庄原 太郎,ショウバラ タロウ,7270011,"
    "広島県庄原市東本町1-1,0824-72-1111,t@example.jp,,,,,,,市長におまかせ,する,要,しない,"
)


@pytest.fixture()
def staff(app, login, make_user):
    """A signed-in operator, then CSRF protection on (it reads the form before any view)."""
    client = login(make_user(Role.OPERATOR))
    saved = {k: app.config.get(k) for k in ("WTF_CSRF_ENABLED", "IMPORT_MAX_MB")}
    app.config.update(WTF_CSRF_ENABLED=True, IMPORT_MAX_MB=200)
    yield client
    app.config.update(saved)


def _multipart(token: str, size: int) -> bytes:
    """A standard-format export of `size` bytes: one donation, then empty rows (as a
    spreadsheet leaves them) up to the size."""
    head = (HEADER + "\r\n" + ROW + "\r\n").encode("cp932")
    filler = ("," * 21 + "\r\n").encode()
    csv = head + filler * -(-(size - len(head)) // len(filler))  # at least `size`
    return (
        b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b'\r\n--B\r\nContent-Disposition: form-data; name="portal"\r\n\r\nstandard\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="rakuten.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + csv + b"\r\n--B--\r\n"
    )


def _token(client) -> str:
    page = client.get("/staff/donations/import").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_a_30_mb_export_is_accepted_under_a_200_mb_import_limit(app, session, staff):
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * MB  # the limit of every other route
    client = staff
    body = _multipart(_token(client), 30 * MB)
    assert len(body) > 30 * MB
    response = client.post(
        "/staff/donations/import", data=body, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    run = session.scalar(sa.select(JobRun).order_by(JobRun.id.desc()))
    assert run.result["phase"] == "preview" and run.result["new"] == 1
    assert run.total >= 30 * MB  # the whole file arrived


def test_an_upload_over_its_route_limit_gets_a_page_that_says_the_limit(app, staff):
    client = staff
    token = _token(client)
    app.config["IMPORT_MAX_MB"] = 25  # the fixture puts it back
    response = client.post(
        "/staff/donations/import",
        data=_multipart(token, 30 * MB),
        content_type="multipart/form-data; boundary=B",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "ファイルが大きすぎます" in page and "25 MB までです" in page
    assert "<main" in page and "/static/" in page  # the normal layout, not a bare error
    english = client.post(
        "/staff/donations/payments",  # its own limit: 20 MB
        data=_multipart(token, 21 * MB),
        content_type="multipart/form-data; boundary=B",
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 413
    assert "20 MB" in english.get_data(as_text=True)


def test_every_upload_route_named_in_the_table_exists(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(UPLOAD_LIMITS) <= endpoints  # a renamed route would silently lose its limit
    assert set(UPLOAD_LIMITS.values()) <= set(DEFAULT_MB)
