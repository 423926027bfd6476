"""The donor's status page: every public timeline kind in plain Japanese, nothing internal."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from portal.core.timeline import record_event
from tests.web.test_donor_access import lookup

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _page(client, session, make_donation, events):
    d = make_donation()
    for n, (kind, data) in enumerate(events):
        record_event(
            session, "donation", d.id, kind, public=True, at=T0 + timedelta(hours=n), **data
        )
    session.flush()
    lookup(client, d.donation_no, "7270011")
    return client.get(f"/donor/donations/{d.id}").get_data(as_text=True)


def test_every_kind_reads_as_a_sentence(client, session, make_donation):
    html = _page(
        client,
        session,
        make_donation,
        [
            (
                "order.shipped",
                {
                    "order_id": 1,
                    "gift_name": "比婆牛 焼肉セット",
                    "carrier": "yamato",
                    "tracking_no": "123456789012",
                    "shipped_on": "2026-11-10",
                },
            ),
            (
                "order.shipment_corrected",
                {
                    "order_id": 1,
                    "gift_name": "比婆牛 焼肉セット",
                    "carrier": "sagawa",
                    "tracking_no": "987654321098",
                    "shipped_on": "2026-11-10",
                },
            ),
            (
                "delivery.problem",
                {
                    "gift_name": "比婆牛 焼肉セット",
                    "problem_kind": "delay",
                    "expected_on": "2026-11-14",
                },
            ),
            ("delivery.problem_resolved", {"gift_name": "比婆牛 焼肉セット"}),
            ("order.delivered", {"gift_name": "比婆牛 焼肉セット"}),
            ("receipt.issued", {"number": "2026-000123", "issued_on": "2026-11-15"}),
            ("receipt.mailed", {"mailed_on": "2026-11-16"}),
            ("receipt.returned", {}),
            ("receipt.reissued", {"reissued_on": "2026-12-01"}),
            ("onestop.sent", {}),
            (
                "onestop.received",
                {
                    "received_on": "2027-01-12",
                    "complete": False,
                    "missing": ["identity", "signature"],
                    "late": True,
                },
            ),
            ("request.opened", {"request_kind": "receipt-reissue", "status": "open"}),
            ("request.updated", {"request_kind": "receipt-reissue", "status": "approved"}),
            ("supplier.internal_note", {"text": "社内だけの話"}),
        ],
    )
    # Written by donation intake itself (create_donation → received, paid, order.created).
    assert "ふるさとチョイスから寄附のお申し込みを受け付けました。" in html
    assert "ご入金を確認しました。" in html
    assert "を事業者に手配しました。" in html
    assert (
        "「比婆牛 焼肉セット」を2026年11月10日に発送しました（ヤマト運輸、お問い合わせ番号 123456789012）。"
        in html
    )
    assert "https://" in html and "123456789012" in html  # the carrier's tracking page
    assert "発送のお知らせを訂正しました（佐川急便、お問い合わせ番号 987654321098）。" in html
    flat = re.sub(r"\s+", "", html)
    assert (
        "「比婆牛焼肉セット」:お届けが遅れています。2026年11月14日ごろのお届けを予定しています。"
        in flat
    )
    assert "お届けの問題は解決しました。" in html
    assert "「比婆牛 焼肉セット」をお届けしました。" in html
    assert "寄附金受領証明書（番号 2026-000123）を2026年11月15日に発行しました。" in html
    assert "寄附金受領証明書を2026年11月16日に郵送しました。" in html
    assert "宛先不明で返送されました" in html
    assert "寄附金受領証明書を2026年12月1日に再発行しました。" in html
    assert "ワンストップ特例申請書をお送りしました。" in html
    assert "2027年1月12日に受け取りましたが、書類が不足しています（本人確認書類、署名）。" in html
    assert "確定申告が必要です" in html
    assert "「寄附金受領証明書の再発行」のお申し込みを受け付けました。" in html
    assert "「寄附金受領証明書の再発行」のお申し込み: 対応しました。" in html
    assert "社内だけの話" not in html and "internal_note" not in html


def test_seasonal_gift_says_when_it_ships(client, session, make_donation):
    html = _page(
        client,
        session,
        make_donation,
        [
            (
                "order.created",
                {
                    "order_id": 9,
                    "gift_name": "シャインマスカット 2房",
                    "ship_by": "2027-08-20",
                    "seasonal": True,
                },
            )
        ],
    )
    assert "旬の時期の返礼品のため、2027年8月20日ごろから発送します。" in html


def test_internal_events_are_not_shown(client, session, make_donation):
    d = make_donation()
    record_event(
        session,
        "donation",
        d.id,
        "order.shipped",
        public=False,
        gift_name="秘密の発送",
        carrier="yamato",
        tracking_no="1",
    )
    session.flush()
    lookup(client, d.donation_no, "7270011")
    assert "秘密の発送" not in client.get(f"/donor/donations/{d.id}").get_data(as_text=True)


def test_complete_onestop_form(client, session, make_donation):
    html = _page(
        client,
        session,
        make_donation,
        [
            (
                "onestop.received",
                {"received_on": "2026-12-10", "complete": True, "missing": [], "late": False},
            )
        ],
    )
    assert "ワンストップ特例申請書を2026年12月10日に受け付けました。書類はそろっています。" in html
    assert "確定申告" not in html


def test_each_order_state_has_a_label_on_the_gift_card(client, session, make_donation):
    from portal.shipping.models import OrderStatus

    d = make_donation()
    order = d.lines[0].orders[0]
    lookup(client, d.donation_no, "7270011")
    shown = {}
    for status in OrderStatus:
        order.status = status
        session.flush()
        html = client.get(f"/donor/donations/{d.id}").get_data(as_text=True)
        shown[status] = re.search(rf'class="status status--{status.value}">([^<]*)<', html)
    assert all(m and m.group(1).strip() for m in shown.values()), shown
    assert shown[OrderStatus.DELIVERED].group(1) == "お届け済み"


def test_each_view_of_the_status_page_leaves_an_audit_row_naming_the_donation(
    client, session, make_donation
):
    import sqlalchemy as sa

    from portal.core.audit import AuditEntry

    d = make_donation()
    lookup(client, d.donation_no, "7270011")
    for _ in range(2):
        html = client.get(f"/donor/donations/{d.id}").get_data(as_text=True)
    assert d.lines and all(line.gift.name in html for line in d.lines)  # read as plain columns
    rows = session.execute(
        sa.select(AuditEntry.actor_kind, AuditEntry.actor_ref, AuditEntry.label).where(
            AuditEntry.subject_type == "donation",
            AuditEntry.subject_id == str(d.id),
            AuditEntry.detail == "donor session: status",
        )
    ).all()
    assert rows == [("donor", d.donation_no, f"寄附 {d.donation_no}")] * 2
