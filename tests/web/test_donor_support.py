"""Donor side of the support desk: own conversations only, no internal notes, link by mail."""

from __future__ import annotations

import re

import pytest

from portal.core.roles import Role
from portal.support.models import Conversation, CustomerKind
from tests.web.test_donor_access import lookup


@pytest.fixture()
def donor_client(app, make_donation):
    """A second browser: the donor, signed in with number + postal code."""
    d = make_donation()
    c = app.test_client()
    assert lookup(c, d.donation_no, "7270011").status_code == 303
    c.donation_id, c.donation_no = d.id, d.donation_no
    return c


def open_conversation(c, body="受領証明書が届きません"):
    r = c.post(
        f"/donor/donations/{c.donation_id}/support",
        data={"subject": "受領証明書について", "category": "receipt", "body": body},
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def test_donor_opens_a_conversation_tied_to_the_donation(session, donor_client):
    page = donor_client.get(f"/donor/donations/{donor_client.donation_id}").get_data(as_text=True)
    assert "この寄附について問い合わせる" in page
    conv_id = open_conversation(donor_client)
    conv = session.get(Conversation, conv_id)
    assert conv.customer_kind == CustomerKind.DONOR
    assert conv.donation_ref == donor_client.donation_no
    assert conv.customer_email == "hanako@example.jp"
    chat = donor_client.get(f"/donor/support/{conv_id}").get_data(as_text=True)
    assert "受領証明書が届きません" in chat
    # The status page lists it, with a link back to the chat.
    page = donor_client.get(f"/donor/donations/{donor_client.donation_id}").get_data(as_text=True)
    assert "受領証明書について" in page and f"/donor/support/{conv_id}" in page


def test_donor_sees_only_its_own_conversations(app, session, donor_client, make_donation):
    other = make_donation(postal_code="1000001", email="other@example.jp")
    other_client = app.test_client()
    lookup(other_client, other.donation_no, "1000001")
    other_client.donation_id = other.id
    theirs = open_conversation(other_client, body="他の人の相談")
    mine = open_conversation(donor_client)
    assert donor_client.get(f"/donor/support/{theirs}").status_code == 404
    assert donor_client.get(f"/donor/support/{theirs}/poll?v=0").status_code == 404
    assert (
        donor_client.post(f"/donor/support/{theirs}/messages", data={"body": "x"}).status_code
        == 404
    )
    listing = donor_client.get(f"/donor/donations/{donor_client.donation_id}/support")
    html = listing.get_data(as_text=True)
    assert f"/donor/support/{mine}" in html and f"/donor/support/{theirs}" not in html
    assert donor_client.get(f"/donor/donations/{other.id}/support").status_code == 404
    # A supplier conversation is never a donor's, whatever its number.
    assert session.get(Conversation, theirs).donation_ref != donor_client.donation_no


@pytest.mark.usefixtures("session")
def test_internal_notes_never_reach_the_donor(client, login, make_user, donor_client, mailbox):
    conv_id = open_conversation(donor_client)
    login(make_user(Role.OPERATOR))
    client.post(
        f"/support/{conv_id}/reply", data={"body": "社内メモ：倉庫に確認中", "internal": "y"}
    )
    assert len(mailbox.messages) == 0  # a note mails nobody
    client.post(f"/support/{conv_id}/reply", data={"body": "本日再送いたしました。"})
    chat = donor_client.get(f"/donor/support/{conv_id}").get_data(as_text=True)
    assert "本日再送いたしました。" in chat
    assert "社内メモ" not in chat and "内部メモ" not in chat
    log = donor_client.get(f"/donor/support/{conv_id}/poll?v=0").get_data(as_text=True)
    assert "本日再送いたしました。" in log and "社内メモ" not in log
    assert len(mailbox.messages) == 1
    assert "社内メモ" not in mailbox.body()


def test_staff_reply_mail_carries_a_one_time_link(
    app, client, login, make_user, donor_client, mailbox
):
    conv_id = open_conversation(donor_client)
    donor_client.post("/donor/logout")  # the donor closed the tab long ago
    assert donor_client.get(f"/donor/support/{conv_id}").status_code == 303
    login(make_user(Role.OPERATOR))
    client.post(f"/support/{conv_id}/reply", data={"body": "ご連絡ありがとうございます。"})
    body = mailbox.body()
    path = re.search(r"http://[^/\s]+(/donor/link/\S+)", body).group(1)
    fresh = app.test_client()
    assert fresh.get(path).status_code == 200
    used = fresh.post(path)
    assert used.status_code == 303 and used.headers["Location"].endswith(
        f"/donor/support/{conv_id}"
    )
    chat = fresh.get(f"/donor/support/{conv_id}").get_data(as_text=True)
    assert "ご連絡ありがとうございます。" in chat
    assert app.test_client().post(path).status_code == 410  # single use


def test_polling_with_no_news_is_cheap(donor_client):
    conv_id = open_conversation(donor_client)
    html = donor_client.get(f"/donor/support/{conv_id}").get_data(as_text=True)
    version = re.search(r"/poll\?v=([0-9.]+)", html).group(1)
    r = donor_client.get(f"/donor/support/{conv_id}/poll?v={version}")
    assert r.status_code == 204 and r.get_data() == b""


def test_polling_does_not_keep_an_idle_session_alive(donor_client):
    import time

    conv_id = open_conversation(donor_client)
    with donor_client.session_transaction() as s:
        s["donor"] = {**s["donor"], "seen": int(time.time()) - 20 * 60}
    donor_client.get(f"/donor/support/{conv_id}/poll?v=0")
    with donor_client.session_transaction() as s:
        assert int(time.time()) - s["donor"]["seen"] >= 20 * 60


@pytest.mark.usefixtures("session")
def test_staff_see_the_order_context_beside_a_donor_conversation(
    client, login, make_user, donor_client
):
    conv_id = open_conversation(donor_client)
    login(make_user(Role.OPERATOR))
    html = client.get(f"/support/{conv_id}").get_data(as_text=True)
    assert 'id="donor-order-context"' in html
    assert donor_client.donation_no in html
    assert "テスト返礼品" in html and "発注済" in html


def _donor_conversation_with_shipment(session, donor_client):
    from portal.core.timeline import record_event
    from portal.donations.models import Donation
    from portal.shipping.models import OrderStatus

    conv_id = open_conversation(donor_client)
    d = session.get(Donation, donor_client.donation_id)
    order = d.lines[0].orders[0]
    order.status = OrderStatus.SHIPPED
    record_event(
        session,
        "donation",
        d.id,
        "order.shipped",
        public=True,
        order_id=order.id,
        gift_name="テスト返礼品",
        carrier="yamato",
        tracking_no="123456789012",
        shipped_on="2026-11-10",
    )
    session.flush()
    return conv_id


def test_order_context_names_the_carrier(client, session, login, make_user, donor_client):
    conv_id = _donor_conversation_with_shipment(session, donor_client)
    login(make_user(Role.OPERATOR))
    html = client.get(f"/support/{conv_id}").get_data(as_text=True)
    context = html[html.index('id="donor-order-context"') :]
    context = context[: context.index("</section>")]
    assert "ヤマト運輸" in context and "123456789012" in context
    assert not re.search(r">\s*yamato\b", context)


@pytest.mark.usefixtures("mailbox")
def test_typed_placeholders_are_filled_on_send(client, session, login, make_user, donor_client):
    conv_id = open_conversation(donor_client)
    login(make_user(Role.OPERATOR))
    r = client.post(
        f"/support/{conv_id}/reply",
        data={"body": "{donor_name} 様、寄附番号 {donation_no} の件で確認しました。"},
    )
    assert r.status_code in (204, 303), r.get_data(as_text=True)
    conv = session.get(Conversation, conv_id)
    sent = conv.messages[-1].body
    assert (
        sent == f"{conv.customer_name} 様、寄附番号 {donor_client.donation_no} の件で確認しました。"
    )
    donor_view = donor_client.get(f"/donor/support/{conv_id}")
    assert donor_view.status_code == 200
    assert sent in donor_view.get_data(as_text=True) and "{donor_name}" not in sent


def test_reply_with_an_unknown_placeholder_is_refused_and_kept(
    client, session, login, make_user, donor_client, mailbox
):
    conv_id = open_conversation(donor_client)
    login(make_user(Role.OPERATOR))
    before = len(session.get(Conversation, conv_id).messages)
    r = client.post(f"/support/{conv_id}/reply", data={"body": "{donor_nam} 様、確認しました。"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "差し込み {donor_nam} はこの問い合わせでは使えません" in html
    assert "{donor_name} {donation_no}" in html  # what may be used instead
    assert "{donor_nam} 様、確認しました。</textarea>" in html  # the text is kept
    session.expire_all()
    assert len(session.get(Conversation, conv_id).messages) == before
    assert mailbox.messages == []
