"""Donor pages that read right: the way back after a session expiry, the badge that follows
the latest step, the one-stop deadline, and a pending request shown before the form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.core import clock
from portal.core.timeline import record_event
from portal.donors.models import DonorRequest, RequestKind
from portal.donors.requests import Details, open_request
from tests.web.test_donor_access import lookup


@pytest.fixture()
def _csrf_on(app):
    saved = app.config.get("WTF_CSRF_ENABLED")
    app.config.update(WTF_CSRF_ENABLED=True)
    yield
    app.config.update(WTF_CSRF_ENABLED=saved)


def test_lookup_after_expiry_returns_to_the_lookup_with_input_kept(client, _csrf_on):
    # A browser whose session (and CSRF token) is gone posts the look-up.
    r = client.post(
        "/donor/lookup",
        data={
            "donation_no": "2026-000123",
            "postal_code": "727-0011",
            "second": "1234",
            "csrf_token": "stale",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'action="/donor/lookup"' in html
    assert 'value="2026-000123"' in html and 'value="727-0011"' in html
    assert "入力内容はそのままです" in html
    assert "/auth/login" not in html and 'href="/"' not in html
    # ...and the page carries a fresh token that works.
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token and token.group(1) != "stale"


def test_a_donor_error_page_leads_back_to_the_lookup_not_the_staff_login(client, _csrf_on):
    r = client.post("/donor/donations/1/requests/mail-address", data={"csrf_token": "stale"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'action="/donor/lookup"' in html
    html = client.get("/donor/no-such-page").get_data(as_text=True)
    assert "戻る" in html and "トップページへ" in html
    assert 'href="/donor/"' in html and 'href="/"' not in html


def test_staff_error_page_still_leads_home(client):
    html = client.get("/no-such-page").get_data(as_text=True)
    assert 'href="/"' in html


def _status(client, session, make_donation, events, **kw):
    d = make_donation(**kw)
    start = clock.now() + timedelta(hours=1)  # after the donation's own events
    for n, (kind, data) in enumerate(events):
        record_event(
            session, "donation", d.id, kind, public=True, at=start + timedelta(hours=n), **data
        )
    session.flush()
    lookup(client, d.donation_no, "7270011")
    return d, client.get(f"/donor/donations/{d.id}").get_data(as_text=True)


def _badge(html):
    head = html.split('class="page-head"', 1)[1].split("</div>\n</div>", 1)[0]
    return re.search(r'class="status status--[\w-]+">([^<]+)<', head).group(1)


def test_badge_follows_the_latest_step(client, session, make_donation):
    shipped = (
        "order.shipped",
        {
            "order_id": 1,
            "gift_name": "米",
            "carrier": "yamato",
            "tracking_no": "1",
            "shipped_on": "2026-11-10",
        },
    )
    mailed = ("receipt.mailed", {"mailed_on": "2026-11-20"})
    _, html = _status(client, session, make_donation, [shipped])
    assert _badge(html) == "返礼品を発送済"
    _, html = _status(client, session, make_donation, [shipped, mailed])
    assert _badge(html) == "受領証明書を郵送済"


def test_timeline_uses_one_calendar_and_onestop_says_1_10(client, session, make_donation):
    _, html = _status(
        client,
        session,
        make_donation,
        [("receipt.mailed", {"mailed_on": "2026-11-20"}), ("onestop.sent", {})],
        onestop_requested=True,
    )
    assert "令和" not in html
    assert "2026年11月20日に郵送しました" in html
    assert "2027年1月10日までに市に届くよう" in html


def test_pending_request_is_shown_before_the_same_form(client, session, make_donation):
    d = make_donation()
    open_request(
        session,
        d,
        RequestKind.MAIL_ADDRESS,
        details=Details(name="寄附 花子", postal_code="7270012", address="広島県庄原市中本町2-2"),
    )
    session.flush()
    lookup(client, d.donation_no, "7270011")
    html = client.get(f"/donor/donations/{d.id}/requests/mail-address").get_data(as_text=True)
    assert "受付中のお申し込みがあります" in html
    assert "広島県庄原市中本町2-2" in html
    assert 'name="address"' not in html  # no second form to fill in
    other = client.get(f"/donor/donations/{d.id}/requests/delivery-address")
    assert 'name="address"' in other.get_data(as_text=True)


def test_a_request_form_sent_after_expiry_comes_back_filled_in(client, session, make_donation):
    d = make_donation()
    lookup(client, d.donation_no, "7270011")
    with client.session_transaction() as s:  # the donor left the form open past the limit
        s["donor"] = {**s["donor"], "seen": s["donor"]["seen"] - 31 * 60}
    typed = {
        "name": "寄附 花子",
        "postal_code": "7270012",
        "address": "広島県庄原市中本町2-2",
        "note": "不在が多いです",
    }
    r = client.post(f"/donor/donations/{d.id}/requests/mail-address", data=typed)
    html = r.get_data(as_text=True)
    assert 'action="/donor/lookup"' in html and "まだ送信されていません" in html
    carried = dict(re.findall(r'name="(carry-[\w-]+)" value="([^"]*)"', html))
    assert carried["carry-address"] == "広島県庄原市中本町2-2"
    assert not session.scalars(sa.select(DonorRequest)).all()  # nothing was sent
    r = client.post(
        "/donor/lookup",
        data={
            "donation_no": d.donation_no,
            "postal_code": "7270011",
            "second": "キフ ハナコ",
            **carried,
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "入力内容を戻しました" in html
    assert f'action="/donor/donations/{d.id}/requests/mail-address"' in html
    assert 'value="広島県庄原市中本町2-2"' in html and "不在が多いです" in html
