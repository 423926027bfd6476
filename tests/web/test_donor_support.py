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
