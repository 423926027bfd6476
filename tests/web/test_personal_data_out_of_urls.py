"""Personal data stays out of URLs, access logs and side tables (issue 16 item 7): the FAQ box
and the supplier's name search are POSTed, a missed FAQ search keeps no name or number,
link tokens are redacted from access logs, survey tokens are stored as digests, TOTP secrets
encrypted, and rate-limit keys hold no e-mail address."""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa

from portal.core import log_redaction
from portal.core.roles import Role
from portal.core.secrets_at_rest import token_digest
from portal.extensions import limiter
from portal.shipping import shipments
from portal.support import faq
from portal.support.models import Conversation, FaqSearchMiss
from tests.web.test_donor_support import donor_client, open_conversation  # noqa: F401

TYPED = "山田花子です。返礼品が届きません。電話は090-1234-5678、hanako@example.jp"


def test_faq_box_is_posted_and_a_miss_keeps_no_personal_data(
    client, session, make_user, login
) -> None:
    login(make_user(Role.SUPPLIER))
    assert client.get("/supplier/support/faq?body=x").status_code == 405
    r = client.post("/supplier/support/faq", data={"body": TYPED}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    kept = session.scalars(sa.select(FaqSearchMiss.query)).all()
    assert kept == ["返礼品が届きません。電話は［番号］、［メール］"]
    page = client.get("/supplier/support/").get_data(as_text=True)
    assert 'hx-post="/supplier/support/faq"' in page and 'hx-get="/supplier/support/faq' not in page


def test_miss_terms_mask_names_numbers_and_addresses() -> None:
    assert faq.miss_terms("佐藤様の領収書 2026-000123") == "［氏名］様の領収書 ［番号］"
    assert faq.miss_terms("田中と申します。ワンストップの書類") == "ワンストップの書類"
    assert faq.miss_terms("口座を変更したい") == "口座を変更したい"


def test_supplier_name_search_never_lands_in_a_url(
    client, session, make_user, make_order, login
) -> None:
    order = make_order()
    order.line.donation.delivery_name = "配達 花子"
    session.flush()
    login(make_user(Role.SUPPLIER, supplier=order.supplier))
    r = client.post(
        "/supplier/orders", data={"q": "花子", "status": "all"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200 and shipments.order_no(order) in r.get_data(as_text=True)
    pushed = r.headers["HX-Push-Url"]
    assert "花子" not in pushed and "%E8%8A%B1" not in pushed and "s=1" in pushed
    again = client.get(pushed).get_data(as_text=True)  # reload: the saved search
    assert shipments.order_no(order) in again and 'value="花子"' in again
    # An order number is no personal data and may stay in a link.
    by_no = client.post("/supplier/orders", data={"q": shipments.order_no(order)})
    assert f"q={shipments.order_no(order)}" in by_no.location


def test_access_log_lines_lose_tokens_and_query_strings(app, caplog) -> None:  # noqa: ARG001
    log_redaction.install()
    logging.getLogger("gunicorn.access").setLevel(logging.INFO)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info(
            '%s - - [%s] "%s" %s -',
            "127.0.0.1",
            "01/Dec/2026 10:00:00",
            "GET /donor/link/Zk3b_9aQ2xYpLmN0tUvW1 HTTP/1.1",
            200,
        )
        logging.getLogger("gunicorn.access").info(
            '"GET /supplier/orders?q=%E8%8A%B1%E5%AD%90 HTTP/1.1" 200'
        )
        logging.getLogger("werkzeug").info('"GET /staff/donations/123 HTTP/1.1" 200')
    text = caplog.text
    assert "Zk3b_9aQ2xYpLmN0tUvW1" not in text and "/donor/link/[token]" in text
    assert "%E8%8A%B1" not in text and "/supplier/orders?…" in text
    assert "/staff/donations/123" in text


def test_survey_tokens_are_stored_as_digests(
    app,
    client,
    session,
    login,
    make_user,
    donor_client,  # noqa: F811
    mailbox,
) -> None:
    conv_id = open_conversation(donor_client)
    login(make_user(Role.OPERATOR))
    client.post(f"/support/{conv_id}/status", data={"to": "closed"})
    assert client.post(f"/support/{conv_id}/survey").status_code == 303
    token = re.search(r"/donor/survey/(\S+)", mailbox.body()).group(1)
    stored = session.get(Conversation, conv_id).survey_token
    assert stored == token_digest(token) and token not in stored
    assert app.test_client().get(f"/donor/survey/{token}").status_code == 200
    assert app.test_client().get(f"/donor/survey/{stored}").status_code == 410


def test_totp_secrets_are_encrypted_in_the_table(session, make_user) -> None:
    user = make_user(Role.OPERATOR)
    secret = user.totp_secret
    assert secret and re.fullmatch(r"[A-Z2-7]+=*", secret)
    raw = session.execute(
        sa.text("SELECT totp_secret FROM user_account WHERE id = :id"), {"id": user.id}
    ).scalar_one()
    assert secret not in raw and raw.startswith("gAAAAA")  # a Fernet token
    session.expire(user)
    assert user.totp_secret == secret  # and still usable


def test_rate_limit_keys_hold_no_email_address(client, make_user) -> None:
    user = make_user(Role.SUPPLIER, email="rate.key@example.jp")
    client.post("/login", data={"email": user.email, "password": "wrong"})
    storage = limiter.limiter.storage
    raw = getattr(storage, "storage", {})
    stored = raw if isinstance(raw, dict) else raw.keys("*")  # memory, or a Redis client
    keys = " ".join(k.decode() if isinstance(k, bytes) else str(k) for k in stored)
    assert "login-account" in keys
    assert "rate.key" not in keys and "example.jp" not in keys
