import io
import re

import pytest
import sqlalchemy as sa

from portal.core.roles import Role
from portal.support import conversations as uc
from portal.support.models import (
    CannedReply,
    Conversation,
    ConversationStatus,
    CustomerKind,
    Message,
)


def supplier_conv(session, supplier, body="発送日を教えてください"):
    return uc.start_conversation(
        session,
        customer_kind=CustomerKind.SUPPLIER,
        supplier_id=supplier.id,
        subject="発送日",
        body=body,
        by_user=None,
    )


def test_supplier_sees_only_its_own_conversations(
    client, session, make_user, make_supplier, login
) -> None:
    me = make_user(Role.SUPPLIER)
    other = make_supplier(name="よその事業者")
    mine = supplier_conv(session, me.supplier, "自社の質問です")
    foreign = supplier_conv(session, other, "よその質問です")
    login(me)
    page = client.get("/supplier/support/").get_data(as_text=True)
    assert f"/supplier/support/{mine.id}" in page and f"/supplier/support/{foreign.id}" not in page
    assert "自社の質問です" in client.get(f"/supplier/support/{mine.id}").get_data(as_text=True)
    assert client.get(f"/supplier/support/{foreign.id}").status_code == 404
    assert client.get(f"/supplier/support/{foreign.id}/poll?v=0.0").status_code == 404
    assert (
        client.post(f"/supplier/support/{foreign.id}/messages", data={"body": "x"}).status_code
        == 404
    )


def test_supplier_starts_and_sends(client, session, make_user, login) -> None:
    me = make_user(Role.SUPPLIER)
    login(me)
    r = client.post(
        "/supplier/support/",
        data={"subject": "在庫", "category": "gift", "body": "在庫が足りません"},
    )
    assert r.status_code == 303
    conv = session.scalar(sa.select(Conversation).where(Conversation.supplier_id == me.supplier_id))
    assert conv.subject == "在庫"
    r = client.post(f"/supplier/support/{conv.id}/messages", data={"body": "追加です"})
    assert r.status_code == 303
    assert "追加です" in client.get(f"/supplier/support/{conv.id}").get_data(as_text=True)


def test_failed_send_keeps_the_text(client, session, make_user, login) -> None:
    me = make_user(Role.SUPPLIER)
    conv = supplier_conv(session, me.supplier)
    login(me)
    text = "長い文" * 2000  # over the limit
    r = client.post(f"/supplier/support/{conv.id}/messages", data={"body": text})
    assert r.status_code == 422
    assert text in r.get_data(as_text=True)
    r = client.post(
        f"/supplier/support/{conv.id}/messages",
        data={"body": "写真です", "attachment": (io.BytesIO(b"MZ not image"), "x.jpg")},
        headers={"HX-Request": "true"},
        content_type="multipart/form-data",
    )
    body = r.get_data(as_text=True)
    assert "<html" not in body and "写真です" in body and "PDF" in body


def test_the_desks_poll_is_204_until_the_customer_writes(client, session, make_user, login) -> None:
    me = make_user(Role.SUPPLIER)
    conv = supplier_conv(session, me.supplier)
    login(make_user(Role.OPERATOR))
    page = client.get(f"/support/{conv.id}").get_data(as_text=True)
    version = re.search(r"/poll\?v=([0-9.]+)", page).group(1)
    hx = {"HX-Request": "true"}
    r = client.get(f"/support/{conv.id}/poll?v={version}", headers=hx)
    assert r.status_code == 204 and r.get_data() == b""
    uc.post_customer_message(session, conv, "追加の質問です", by_user=me)
    r = client.get(f"/support/{conv.id}/poll?v={version}", headers=hx)
    assert r.status_code == 200 and "追加の質問です" in r.get_data(as_text=True)
    assert client.get("/support/999999/poll?v=0", headers=hx).status_code == 404


def test_poll_with_no_news_is_an_empty_204(client, session, make_user, login) -> None:
    me = make_user(Role.SUPPLIER)
    staff = make_user(Role.OPERATOR)
    conv = supplier_conv(session, me.supplier)
    login(me)
    page = client.get(f"/supplier/support/{conv.id}").get_data(as_text=True)
    version = re.search(r"/poll\?v=([0-9.]+)", page).group(1)
    r = client.get(f"/supplier/support/{conv.id}/poll?v={version}", headers={"HX-Request": "true"})
    assert r.status_code == 204 and r.get_data() == b""
    # An internal note changes nothing for the supplier.
    uc.post_staff_message(session, conv, "社内メモ", by_user=staff, internal=True)
    r = client.get(f"/supplier/support/{conv.id}/poll?v={version}", headers={"HX-Request": "true"})
    assert r.status_code == 204 and r.get_data() == b""
    uc.post_staff_message(session, conv, "お返事です", by_user=staff)
    r = client.get(f"/supplier/support/{conv.id}/poll?v={version}", headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert (
        r.status_code == 200
        and "お返事です" in body
        and "社内メモ" not in body
        and "<html" not in body
    )
    assert "既読" in body  # staff replied, so the supplier's message was read


def test_internal_notes_never_reach_the_supplier(
    client, session, make_user, login, mailbox
) -> None:
    supplier_user = make_user(Role.SUPPLIER)
    staff = make_user(Role.OPERATOR)
    conv = supplier_conv(session, supplier_user.supplier)
    login(staff)
    client.post(
        f"/support/{conv.id}/reply", data={"body": "社内メモ：在庫を確認中", "internal": "y"}
    )
    assert mailbox.messages == []
    client.post(f"/support/{conv.id}/reply", data={"body": "12月1日に発送できます"})
    assert len(mailbox.messages) == 1
    mail = mailbox.body()
    assert mailbox.messages[0]["To"] == supplier_user.email
    assert f"http://portal.test/supplier/support/{conv.id}" in mail
    assert "社内メモ" not in mail and "12月1日" not in mail
    staff_page = client.get(f"/support/{conv.id}").get_data(as_text=True)
    assert "社内メモ：在庫を確認中" in staff_page
    client.post("/logout")
    login(supplier_user)
    page = client.get(f"/supplier/support/{conv.id}").get_data(as_text=True)
    assert "12月1日に発送できます" in page and "社内メモ" not in page
    assert session.get(Conversation, conv.id).status == ConversationStatus.WAITING


def test_canned_reply_placeholders_filled(client, session, make_user, login) -> None:
    staff = make_user(Role.OPERATOR)
    conv = uc.start_conversation(
        session,
        customer_kind=CustomerKind.DONOR,
        donation_ref="D-2026-000777",
        customer_name="庄原 太郎",
        body="受領証明書はいつ届きますか",
        by_user=None,
    )
    canned = CannedReply(
        title="証明書", body="{donor_name} 様、寄附番号 {donation_no} の証明書は来週届きます。"
    )
    session.add(canned)
    session.flush()
    login(staff)
    page = client.get(f"/support/{conv.id}?canned={canned.id}").get_data(as_text=True)
    assert "庄原 太郎 様、寄附番号 D-2026-000777 の証明書は来週届きます。" in page


def test_inbox_filters_assign_close_and_unread_count(
    client, session, make_user, make_supplier, login
) -> None:
    staff = make_user(Role.OPERATOR, name="受付 花子")
    a = supplier_conv(session, make_supplier(name="A農園"), "りんごの件")
    b = supplier_conv(session, make_supplier(name="B牧場"), "牛乳の件")
    login(staff)
    home = client.get("/staff/").get_data(as_text=True)
    assert "未読2件" in home
    client.post(f"/support/{a.id}/assign", data={"assignee_id": "me"})
    client.post(f"/support/{b.id}/categorise", data={"category": "complaint"})
    mine = client.get("/support/?assignee=me").get_data(as_text=True)
    assert "A農園" in mine and "B牧場" not in mine
    complaints = client.get("/support/?complaint=1").get_data(as_text=True)
    assert "B牧場" in complaints and "A農園" not in complaints
    unread = client.get("/support/?unread=1").get_data(as_text=True)
    assert "B牧場" in unread and "A農園" in unread  # assigning does not read it
    client.get(f"/support/{a.id}")  # opening it does
    assert "A農園" not in client.get("/support/?unread=1").get_data(as_text=True)
    client.post(f"/support/{a.id}/status", data={"to": "closed", "resolution": "回答済"})
    assert session.get(Conversation, a.id).status == ConversationStatus.CLOSED
    assert "A農園" not in client.get("/support/").get_data(as_text=True)
    assert "A農園" in client.get("/support/?status=closed").get_data(as_text=True)
    client.post(f"/support/{a.id}/status", data={"to": "open"})
    assert session.get(Conversation, a.id).status == ConversationStatus.OPEN


def test_staff_log_phone_call(client, session, make_user, login) -> None:
    staff = make_user(Role.OPERATOR)
    login(staff)
    r = client.post(
        "/support/new",
        data={
            "channel": "phone",
            "customer_kind": "donor",
            "donation_ref": "D-1",
            "customer_name": "電話 一郎",
            "subject": "住所変更",
            "category": "delivery",
            "body": "引っ越したので届け先を変えたい",
        },
    )
    assert r.status_code == 303
    conv = session.scalar(sa.select(Conversation).where(Conversation.donation_ref == "D-1"))
    assert (
        conv.channel.value == "phone" and conv.assignee_id == staff.id and not conv.unread_for_staff
    )
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Message)
            .where(Message.conversation_id == conv.id)
        )
        == 1
    )


def test_city_reads_but_cannot_reply(client, session, make_user, make_supplier, login) -> None:
    conv = supplier_conv(session, make_supplier())
    login(make_user(Role.CITY))
    assert client.get(f"/support/{conv.id}").status_code == 200
    assert client.post(f"/support/{conv.id}/reply", data={"body": "x"}).status_code == 403


def test_faq_suggestions_and_crud(client, session, make_user, login) -> None:
    from portal.support import faq

    faq.seed(session)
    login(make_user(Role.SUPPLIER))
    body = client.post(
        "/supplier/support/faq", data={"body": "口座を変更したい"}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "振込口座" in body
    client.post("/logout")
    login(make_user(Role.OPERATOR))
    r = client.post(
        "/support/faq/new",
        data={"question": "テスト質問？", "answer": "テスト回答", "keywords": "テスト"},
    )
    assert r.status_code == 303
    assert "テスト質問？" in client.get("/support/faq").get_data(as_text=True)


@pytest.mark.usefixtures("session")
def test_desk_calendar_override(client, make_user, login) -> None:
    login(make_user(Role.OPERATOR))
    r = client.post(
        "/support/hours",
        data={
            "day": "2026-12-26",
            "mode": "open",
            "opens_at": "10:00",
            "closes_at": "15:00",
            "note": "臨時営業",
        },
    )
    assert r.status_code == 303
    page = client.get("/support/hours").get_data(as_text=True)
    assert "臨時営業" in page and "10:00" in page


def test_complaint_shows_on_city_dashboard(
    client, session, make_user, make_supplier, login
) -> None:
    staff = make_user(Role.OPERATOR)
    conv = supplier_conv(session, make_supplier(name="苦情先の農園"), "届いた品が傷んでいた")
    uc.categorise(session, conv, None, is_complaint=True, by_user=staff)
    uc.change_status(
        session, conv, ConversationStatus.CLOSED, by_user=staff, resolution="再送して解決"
    )
    login(make_user(Role.CITY))
    page = client.get("/staff/").get_data(as_text=True)
    assert "苦情先の農園" in page and "再送して解決" in page


def test_satisfaction_survey_is_sent_only_by_staff_after_resolution(
    client, session, make_user, login, mailbox
) -> None:
    supplier_user = make_user(Role.SUPPLIER)
    staff = make_user(Role.OPERATOR)
    conv = supplier_conv(session, supplier_user.supplier)
    login(staff)
    assert client.post(f"/support/{conv.id}/survey").status_code == 409  # not resolved yet
    client.post(f"/support/{conv.id}/status", data={"to": "closed"})
    assert mailbox.messages == []  # closing never sends a survey by itself
    assert client.post(f"/support/{conv.id}/survey").status_code == 303
    assert f"/supplier/support/{conv.id}/survey" in mailbox.body()
    client.post("/logout")
    login(supplier_user)
    assert (
        client.post(f"/supplier/support/{conv.id}/survey", data={"score": "9"}).status_code == 422
    )
    assert (
        client.post(f"/supplier/support/{conv.id}/survey", data={"score": "4"}).status_code == 303
    )
    assert session.get(Conversation, conv.id).satisfaction == 4


def test_canned_reply_duplicate_title_keeps_text_and_delete_twice_is_harmless(
    client, session, make_user, login
) -> None:
    login(make_user(Role.OPERATOR))
    data = {"title": "発送時期のご案内", "body": "{donor_name} 様、発送は来週です。"}
    assert client.post("/support/canned", data=data).status_code in (204, 303)
    again = client.post("/support/canned", data={**data, "body": "書きかけの本文"})
    body = again.get_data(as_text=True)
    assert again.status_code == 422
    assert "同じ名前の定型文がすでにあります。" in body and "書きかけの本文" in body
    reply = session.scalar(sa.select(CannedReply).where(CannedReply.title == data["title"]))
    assert client.post(f"/support/canned/{reply.id}/delete").status_code in (204, 303)
    assert client.post(f"/support/canned/{reply.id}/delete").status_code in (204, 303)
    assert session.get(CannedReply, reply.id) is None


def test_supplier_conversation_shows_its_open_orders_beside_it(
    client, session, make_user, make_supplier, make_gift, make_order, login
) -> None:
    from datetime import timedelta

    from portal.core.dates import today_jst
    from portal.shipping.shipments import order_no

    supplier, other = make_supplier(), make_supplier()
    late = make_order(
        make_gift(supplier=supplier, name="比婆牛 ロース"),
        ship_by=today_jst() - timedelta(days=2),
    )
    make_order(make_gift(supplier=other, name="よその返礼品"))
    conv = supplier_conv(session, supplier)
    session.flush()
    login(make_user(Role.OPERATOR))
    page = client.get(f"/support/{conv.id}").get_data(as_text=True)
    assert "発送待ちの注文" in page
    assert order_no(late) in page and "比婆牛 ロース" in page
    assert "期限切れ 1件" in page
    assert "よその返礼品" not in page
    assert "寄附 太郎" not in page  # order numbers and gifts only, no recipient
