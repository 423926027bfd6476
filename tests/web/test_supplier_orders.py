"""Supplier screens: dashboard, scoped order list and detail, confirmation, labels, CSV upload."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.dates import today_jst
from portal.core.roles import Role
from portal.gifts.models import TemperatureBand
from portal.shipping import shipments
from portal.shipping.carriers import Carrier
from portal.shipping.models import OrderStatus, Shipment
from tests.unit.test_shipments import simple_csv, tracking


@pytest.fixture()
def shop(make_supplier, make_user, make_gift, login) -> dict[str, Any]:
    supplier = make_supplier(
        name="比婆牛テスト牧場", postal_code="727-0013", address="広島県庄原市西本町1-2-3"
    )
    gift = make_gift(supplier=supplier, name="比婆牛 ステーキ", temperature=TemperatureBand.FROZEN)
    user = make_user(Role.SUPPLIER, supplier=supplier)
    client = login(user)
    return {"supplier": supplier, "gift": gift, "user": user, "client": client}


@pytest.fixture()
def placed(session, make_order) -> Any:
    """An order committed like real data (a view's rollback must not take it away)."""

    def place(gift, **kw: Any) -> Any:
        order = make_order(gift, **kw)
        session.commit()
        return order

    return place


def shipment_count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Shipment))


def audits(session, action: str, subject_type: str) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == action, AuditEntry.subject_type == subject_type)
    )


def test_name_search_matches_names_as_typed_not_as_stored(
    shop, make_supplier, make_gift, placed
) -> None:
    """The search reads the normalised copies (donations.search.fold): a variant kanji, a
    full-width space or none at all find the same donor or recipient; another supplier's
    order with the same name stays out."""
    recipient = placed(shop["gift"], delivery_name="𠮷田　一二三")
    donor = placed(shop["gift"], donor_name="髙橋 はな")
    other = placed(shop["gift"], donor_name="山本 次郎")
    foreign_gift = make_gift(supplier=make_supplier(name="よその牧場"), name="よその品")
    foreign = placed(foreign_gift, delivery_name="吉田 一二三")
    client = shop["client"]

    def found(term: str) -> str:
        searched = client.post("/supplier/orders", data={"q": term, "status": "all"})
        return client.get(searched.location).get_data(as_text=True)

    for term in ("吉田一二三", "吉田 一二三", "一二三"):
        body = found(term)
        assert shipments.order_no(recipient) in body, term
        assert shipments.order_no(foreign) not in body and shipments.order_no(other) not in body
    body = found("高橋　はな")
    assert shipments.order_no(donor) in body and shipments.order_no(recipient) not in body
    assert shipments.order_no(other) not in found("100%")  # a wildcard is only a character


def test_dashboard_shows_overdue_week_and_seasonal(shop, make_gift, placed) -> None:
    today = today_jst()
    late = placed(shop["gift"], ship_by=today - timedelta(days=2))
    soon = placed(shop["gift"], ship_by=today + timedelta(days=2))
    apples = make_gift(
        supplier=shop["supplier"],
        name="秋のりんご",
        ship_from=today + timedelta(days=40),
        ship_until=today + timedelta(days=90),
    )
    placed(apples, ship_by=today + timedelta(days=40))
    make_gift(supplier=shop["supplier"], name="止めた返礼品", stock_paused=True)
    body = shop["client"].get("/supplier/").get_data(as_text=True)
    assert "発送期限を過ぎています（1件）" in body
    assert shipments.order_no(late) in body and shipments.order_no(soon) in body
    assert "order-card--late" in body
    assert "発送期間を待っている注文" in body and "秋のりんご" in body
    assert "止めた返礼品" in body and "受付を一時停止しています" in body
    # The dashboard shows no names or addresses.
    assert "寄附 太郎" not in body and "東本町" not in body


def test_list_filters_and_keyset_pages(shop, make_gift, placed, make_order) -> None:
    today = today_jst()
    orders = [placed(shop["gift"], ship_by=today + timedelta(days=i)) for i in range(55)]
    named = make_order(shop["gift"], ship_by=today + timedelta(days=99), delivery_name="贈答 花子")
    client = shop["client"]
    first = client.get("/supplier/orders").get_data(as_text=True)
    assert shipments.order_no(orders[0]) in first
    assert shipments.order_no(orders[50]) not in first
    cursor = f"{orders[49].ship_by.isoformat()}_{orders[49].id}"
    assert f"after={cursor}" in first
    second = client.get(f"/supplier/orders?after={cursor}").get_data(as_text=True)
    assert shipments.order_no(orders[50]) in second
    assert shipments.order_no(orders[49]) not in second

    searched = client.post("/supplier/orders", data={"q": "花子"})  # a name: POST only
    assert searched.status_code == 303 and "q=" not in searched.location
    found = client.get(searched.location).get_data(as_text=True)
    assert shipments.order_no(named) in found and shipments.order_no(orders[0]) not in found
    by_no = client.get(f"/supplier/orders?q={shipments.order_no(orders[3])}")
    assert shipments.order_no(orders[3]) in by_no.get_data(as_text=True)
    assert shipments.order_no(orders[4]) not in by_no.get_data(as_text=True)

    ranged = client.get(
        f"/supplier/orders?from={(today + timedelta(days=10)).isoformat()}"
        f"&to={(today + timedelta(days=11)).isoformat()}"
    ).get_data(as_text=True)
    assert shipments.order_no(orders[10]) in ranged and shipments.order_no(orders[12]) not in ranged

    other_gift = make_gift(supplier=shop["supplier"])
    other = placed(other_gift)
    only = client.get(f"/supplier/orders?gift={other_gift.id}").get_data(as_text=True)
    assert shipments.order_no(other) in only and shipments.order_no(orders[0]) not in only


def test_htmx_filter_returns_the_list_fragment(shop, placed) -> None:
    placed(shop["gift"])
    response = shop["client"].get("/supplier/orders?status=all", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and 'name="ids"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_other_suppliers_order_is_not_found(session, shop, make_gift, placed) -> None:
    foreign = placed(make_gift())
    client = shop["client"]
    assert client.get(f"/supplier/orders/{foreign.id}").status_code == 404
    response = client.post(
        f"/supplier/orders/{foreign.id}/ship",
        data={"carrier": "yamato", "tracking_no": tracking(1), "shipped_on": today_jst()},
    )
    assert response.status_code == 404
    assert shipment_count(session) == 0
    body = client.get(f"/supplier/orders?q={shipments.order_no(foreign)}").get_data(as_text=True)
    assert "該当する注文はありません" in body and f"/supplier/orders/{foreign.id}" not in body


def test_detail_shows_what_the_courier_needs_and_is_audited(session, shop, placed) -> None:
    order = placed(shop["gift"], message="応援しています", email="x@example.jp")
    order.line.noshi = "御礼"
    order.line.desired_time = "14-16時"
    session.flush()
    response = shop["client"].get(f"/supplier/orders/{order.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        "寄附 太郎",
        "〒727-0011",
        "東本町1-1-1",
        "0824-72-1111",
        "冷凍",
        "御礼",
        "14-16時",
    ):
        assert text in body
    # Nothing else of the donor: no e-mail, no message, no amount.
    assert "x@example.jp" not in body and "応援しています" not in body
    assert audits(session, "view", "order") == 1


def test_confirm_from_the_detail_page_and_double_post(session, shop, placed) -> None:
    order = placed(shop["gift"])
    data = {"carrier": "yamato", "tracking_no": tracking(2), "shipped_on": today_jst()}
    client = shop["client"]
    first = client.post(f"/supplier/orders/{order.id}/ship", data=data)
    second = client.post(f"/supplier/orders/{order.id}/ship", data=data)
    assert first.status_code == second.status_code == 303
    assert shipment_count(session) == 1
    assert order.status == OrderStatus.SHIPPED
    body = client.get(f"/supplier/orders/{order.id}").get_data(as_text=True)
    assert "発送済です" in body and tracking(2) in body
    assert "kuronekoyamato" in body  # tracking link


def test_shipping_from_a_stale_tab_says_why_it_was_refused(session, shop, placed) -> None:
    order = placed(shop["gift"])
    client = shop["client"]
    first = {"carrier": "yamato", "tracking_no": tracking(2), "shipped_on": today_jst()}
    assert client.post(f"/supplier/orders/{order.id}/ship", data=first).status_code == 303
    # The second tab still shows the ship form and sends another number.
    stale = dict(first, tracking_no=tracking(5))
    response = client.post(f"/supplier/orders/{order.id}/ship", data=stale)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="ship-refused"' in body
    assert f"すでに発送登録されています（送り状番号 {tracking(2)}）" in body
    assert shipment_count(session) == 1


def test_bad_confirmation_keeps_the_input_and_says_why(session, shop, placed) -> None:
    order = placed(shop["gift"])
    response = shop["client"].post(
        f"/supplier/orders/{order.id}/ship",
        data={
            "carrier": "sagawa",
            "tracking_no": "1234",
            "shipped_on": (today_jst() + timedelta(days=1)).isoformat(),
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="1234"' in body
    assert "12桁" in body and 'aria-invalid="true"' in body
    assert shipment_count(session) == 0


def test_bulk_confirmation_is_all_or_nothing(session, shop, placed) -> None:
    a, b = placed(shop["gift"]), placed(shop["gift"])
    client = shop["client"]
    page = client.post("/supplier/orders/selected", data={"ids": [a.id, b.id], "action": "ship"})
    assert page.status_code == 200 and f'name="tracking-{b.id}"' in page.get_data(as_text=True)
    form = {
        "ids": [a.id, b.id],
        "carrier": "yamato",
        "shipped_on": today_jst().isoformat(),
        f"tracking-{a.id}": tracking(3),
        f"tracking-{b.id}": "99",
    }
    bad = client.post("/supplier/orders/ship", data=form)
    assert bad.status_code == 422
    assert shipment_count(session) == 0
    assert tracking(3) in bad.get_data(as_text=True)  # what was typed stays
    form[f"tracking-{b.id}"] = tracking(4)
    assert client.post("/supplier/orders/ship", data=form).status_code == 303
    assert client.post("/supplier/orders/ship", data=form).status_code == 303  # double submit
    assert shipment_count(session) == 2


def test_label_download_is_cp932_and_audited(session, shop, make_gift, placed) -> None:
    order = placed(shop["gift"])
    foreign = placed(make_gift())
    response = shop["client"].post(
        "/supplier/orders/selected", data={"ids": [order.id, foreign.id], "action": "labels:yamato"}
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("cp932")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2  # header + our order only, never the other supplier's
    assert shipments.order_no(order) in rows[1]
    assert "比婆牛テスト牧場" in text
    assert audits(session, "export", "order") == 1


def test_label_screen_warns_about_12_14_for_b2_and_offers_ehiden3(session, shop, placed) -> None:
    wish = placed(shop["gift"])
    wish.line.desired_time = "12時〜14時"
    session.commit()
    page = shop["client"].get("/supplier/orders").get_data(as_text=True)
    number = shipments.order_no(wish)
    assert "ヤマト B2クラウド には 12〜14時 の時間帯がありません" in page
    assert number in page.split("12〜14時 の時間帯がありません")[1]
    assert 'value="labels:sagawa_ehiden3"' in page and "佐川 e飛伝Ⅲ" in page
    b2 = shop["client"].post(
        "/supplier/orders/selected", data={"ids": [wish.id], "action": "labels:yamato"}
    )
    assert "1214" not in b2.data.decode("cp932")
    e3 = shop["client"].post(
        "/supplier/orders/selected", data={"ids": [wish.id], "action": "labels:sagawa_ehiden3"}
    )
    assert e3.status_code == 200 and "labels-sagawa_ehiden3-" in e3.headers["Content-Disposition"]
    header, row = list(csv.reader(io.StringIO(e3.data.decode("cp932"))))
    assert len(header) == len(row) == 74 and row[9] == number and row[45] == "12"
    unknown = shop["client"].post(
        "/supplier/orders/selected", data={"ids": [wish.id], "action": "labels:fedex"}
    )
    assert unknown.status_code == 400


def test_csv_upload_preview_then_apply(session, shop, make_gift, placed) -> None:
    gift = shop["gift"]
    good, other_good = placed(gift), placed(gift)
    foreign = placed(make_gift())
    day = today_jst().strftime("%Y/%m/%d")
    data = simple_csv(
        [
            (shipments.order_no(good), tracking(5), "ヤマト運輸", day),
            (shipments.order_no(other_good), "12", "佐川急便", day),
            ("2026-999998-1", tracking(6), "ヤマト運輸", day),
            (shipments.order_no(good), tracking(7), "ヤマト運輸", day),
            (shipments.order_no(foreign), tracking(8), "ヤマト運輸", day),
        ]
    )
    client = shop["client"]
    response = client.post(
        "/supplier/orders/upload",
        data={"file": (io.BytesIO(data), "shipments.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    preview_url = response.headers["Location"]
    assert "ship" not in preview_url.split("/upload/")[1]  # a random key, no file content
    body = client.get(preview_url).get_data(as_text=True)
    for line in ("3行目", "4行目", "5行目", "6行目"):
        assert line in body
    assert "登録できる行：1件、登録できない行：4件" in body
    assert shipment_count(session) == 0
    assert client.post(preview_url).status_code == 303
    assert client.post(preview_url).status_code == 303  # a second apply is harmless
    assert shipment_count(session) == 1
    assert good.status == OrderStatus.SHIPPED and foreign.status == OrderStatus.ORDERED
    assert "1件の発送を登録しました" in client.get(preview_url).get_data(as_text=True)


def test_someone_elses_upload_is_not_found(session, shop, make_user) -> None:
    upload = shipments.preview_upload(
        session,
        shop["supplier"].id,
        simple_csv([("2026-000001-1", tracking(9), "ヤマト", "")]),
        filename="x.csv",
        by_user=shop["user"],
    )
    shop["client"].post("/logout")
    shop["client"].post(
        "/login",
        data={"email": make_user(Role.SUPPLIER).email, "password": "correct horse battery"},
    )
    assert shop["client"].get(f"/supplier/orders/upload/{upload.token}").status_code == 404


def test_correction_within_24_hours(session, shop, placed) -> None:
    order = placed(shop["gift"])
    shipments.confirm_shipment(
        session, order, Carrier.YAMATO, tracking(10), today_jst(), shop["user"]
    )
    client = shop["client"]
    assert "発送内容を訂正する" in client.get(f"/supplier/orders/{order.id}").get_data(as_text=True)
    response = client.post(
        f"/supplier/orders/{order.id}/correct",
        data={"carrier": "yamato", "tracking_no": tracking(11), "shipped_on": today_jst()},
    )
    assert response.status_code == 303
    assert shipments.shipment_for(session, order).tracking_no == tracking(11)
    shipment = shipments.shipment_for(session, order)
    shipment.confirmed_at -= timedelta(hours=25)
    session.flush()
    late = client.post(
        f"/supplier/orders/{order.id}/correct",
        data={"carrier": "yamato", "tracking_no": tracking(12), "shipped_on": today_jst()},
    )
    assert late.status_code == 422
    assert "運営事務局" in late.get_data(as_text=True)
    assert shipments.shipment_for(session, order).tracking_no == tracking(11)


def test_label_screen_says_which_orders_print_with_stand_in_characters(
    session, shop, placed
) -> None:
    order = placed(shop["gift"])
    plain = placed(shop["gift"])
    donation = order.line.donation
    donation.donor_name = "𠮷田 花子"
    donation.address = "広島県庄原市髙野町1番地"
    session.commit()
    page = shop["client"].get("/supplier/orders").get_data(as_text=True)
    number, other = shipments.order_no(order), shipments.order_no(plain)
    assert f"注文 {number} の宛名・住所の文字を置き換えて出力します：𠮷→吉、髙→高" in page
    assert f"注文 {other} の宛名" not in page
    csv_file = shop["client"].post(
        "/supplier/orders/selected", data={"ids": [order.id], "action": "labels:yamato"}
    )
    text = csv_file.data.decode("cp932")
    assert "吉田 花子" in text and "高野町" in text  # the deliberate substitution is kept
