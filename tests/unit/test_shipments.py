"""Shipment confirmation, correction, delivery, order numbers and shipment files (domain)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from portal.core.dates import today_jst
from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.models import utcnow
from portal.core.roles import Role
from portal.core.timeline import TimelineEvent
from portal.donations.lifecycle import LineData
from portal.shipping import shipments
from portal.shipping.carriers import Carrier
from portal.shipping.models import OrderStatus, Shipment


def tracking(seed: int) -> str:
    """A valid 12-digit ヤマト/佐川 number: the last digit is the first eleven modulo 7."""
    body = f"{40000000000 + seed:011d}"
    return body + str(int(body) % 7)


@pytest.fixture()
def setup(make_supplier, make_user, make_gift, make_order) -> dict[str, Any]:
    supplier = make_supplier(postal_code="727-0013", phone="0824-72-0001")
    gift = make_gift(supplier=supplier)
    return {
        "supplier": supplier,
        "gift": gift,
        "user": make_user(Role.SUPPLIER, supplier=supplier),
        "order": make_order(gift),
    }


def events(session, kind: str) -> list[TimelineEvent]:
    return list(session.scalars(sa.select(TimelineEvent).where(TimelineEvent.kind == kind)))


# --- order numbers ----------------------------------------------------------------------


def test_order_number_is_donation_number_and_line(setup, make_donation) -> None:
    order = setup["order"]
    assert shipments.order_no(order) == f"{order.line.donation.donation_no}-1"
    two = make_donation(lines=[LineData(setup["gift"].code), LineData(setup["gift"].code)])
    first, second = (line.orders[0] for line in two.lines)
    assert shipments.order_no(first) == f"{two.donation_no}-1"
    assert shipments.order_no(second) == f"{two.donation_no}-2"


def test_order_number_parser() -> None:
    assert shipments.parse_order_no("2026-000123-1") == ("2026-000123", 0)
    assert shipments.parse_order_no("２０２６－０００１２３－２") == ("2026-000123", 1)
    assert shipments.parse_order_no(" 2026000123-3 ") == ("2026-000123", 2)
    for bad in ("", "2026-000123", "2026-000123-0", "佐藤", "2026-12-01"):
        assert shipments.parse_order_no(bad) is None


def test_find_order_is_scoped_to_the_supplier(session, setup, make_gift) -> None:
    order = setup["order"]
    number = shipments.order_no(order)
    assert shipments.find_order(session, setup["supplier"].id, number) is order
    other = make_gift()  # another supplier
    assert shipments.find_order(session, other.supplier_id, number) is None


# --- confirm ----------------------------------------------------------------------------


def test_confirm_ships_the_order_and_tells_the_donor(session, setup) -> None:
    order, user = setup["order"], setup["user"]
    number = tracking(1)
    shipment = shipments.confirm_shipment(
        session,
        order,
        Carrier.YAMATO,
        f"{number[:4]}-{number[4:8]}-{number[8:]}",
        today_jst(),
        user,
    )
    assert shipment.tracking_no == number  # hyphens gone
    assert order.status == OrderStatus.SHIPPED and order.shipped_at is not None
    (event,) = events(session, "order.shipped")
    assert event.public and event.subject_id == order.line.donation_id
    assert event.data == {
        "order_id": order.id,
        "gift_name": setup["gift"].name,
        "carrier": "yamato",
        "tracking_no": number,
        "shipped_on": today_jst().isoformat(),
    }


def test_second_identical_confirm_is_a_no_op(session, setup) -> None:
    order, user = setup["order"], setup["user"]
    first = shipments.confirm_shipment(
        session, order, Carrier.SAGAWA, tracking(2), today_jst(), user
    )
    again = shipments.confirm_shipment(session, order, "sagawa", tracking(2), today_jst(), user)
    assert again.id == first.id
    assert session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
    assert len(events(session, "order.shipped")) == 1


def test_conflicting_confirm_is_refused(session, setup) -> None:
    order, user = setup["order"], setup["user"]
    shipments.confirm_shipment(session, order, Carrier.YAMATO, tracking(3), today_jst(), user)
    with pytest.raises(Conflict) as err:
        shipments.confirm_shipment(session, order, Carrier.YAMATO, tracking(4), today_jst(), user)
    assert tracking(3) in str(err.value.message)
    assert shipments.shipment_for(session, order).tracking_no == tracking(3)


@pytest.mark.parametrize(
    ("carrier", "number", "shipped_on", "field"),
    [
        (Carrier.YAMATO, "12345", 0, "tracking_no"),
        (Carrier.YAMATO, tracking(5)[:-1] + str((int(tracking(5)[-1]) + 1) % 10), 0, "tracking_no"),
        (Carrier.YAMATO, tracking(5), 1, "shipped_on"),  # tomorrow
        (Carrier.YAMATO, tracking(5), -30, "shipped_on"),  # before the order existed
        ("fedex", tracking(5), 0, "carrier"),
    ],
)
def test_bad_confirmations_name_the_field(session, setup, carrier, number, shipped_on, field):
    with pytest.raises(DomainError) as err:
        shipments.confirm_shipment(
            session,
            setup["order"],
            carrier,
            number,
            today_jst() + timedelta(days=shipped_on),
            setup["user"],
        )
    assert err.value.field == field
    assert setup["order"].status == OrderStatus.ORDERED
    assert shipments.shipment_for(session, setup["order"]) is None


def test_cancelled_order_cannot_be_shipped(session, setup, make_order) -> None:
    order = make_order(setup["gift"], status=OrderStatus.CANCELLED)
    with pytest.raises(DomainError):
        shipments.confirm_shipment(
            session, order, Carrier.YAMATO, tracking(6), today_jst(), setup["user"]
        )


def test_another_suppliers_user_cannot_confirm(session, setup, make_user) -> None:
    stranger = make_user(Role.SUPPLIER)
    with pytest.raises(PermissionDenied):
        shipments.confirm_shipment(
            session, setup["order"], Carrier.YAMATO, tracking(7), today_jst(), stranger
        )
    city = make_user(Role.CITY)
    with pytest.raises(PermissionDenied):
        shipments.confirm_shipment(
            session, setup["order"], Carrier.YAMATO, tracking(7), today_jst(), city
        )


# --- correct, deliver ---------------------------------------------------------------------


def test_supplier_corrects_within_24_hours_only(session, setup, make_user) -> None:
    order, user = setup["order"], setup["user"]
    shipment = shipments.confirm_shipment(
        session, order, Carrier.YAMATO, tracking(8), today_jst(), user
    )
    shipments.correct_shipment(session, shipment, Carrier.SAGAWA, tracking(9), today_jst(), user)
    assert (shipment.carrier, shipment.tracking_no) == (Carrier.SAGAWA, tracking(9))
    assert shipment.corrected_by_id == user.id
    (event,) = events(session, "order.shipment_corrected")
    assert event.public and event.data["tracking_no"] == tracking(9)

    later = shipment.confirmed_at + timedelta(hours=24, minutes=1)
    with pytest.raises(PermissionDenied):
        shipments.correct_shipment(
            session, shipment, Carrier.YAMATO, tracking(8), today_jst(), user, now=later
        )
    operator = make_user(Role.OPERATOR)
    shipments.correct_shipment(
        session, shipment, Carrier.YAMATO, tracking(8), today_jst(), operator, now=later
    )
    assert shipment.tracking_no == tracking(8)
    with pytest.raises(PermissionDenied):
        shipments.correct_shipment(
            session, shipment, Carrier.YAMATO, tracking(9), today_jst(), make_user(Role.CITY)
        )


def test_mark_delivered(session, setup) -> None:
    order = setup["order"]
    with pytest.raises(DomainError):
        shipments.mark_delivered(session, order)
    shipments.confirm_shipment(
        session, order, Carrier.YAMATO, tracking(10), today_jst(), setup["user"]
    )
    shipments.mark_delivered(session, order)
    assert order.status == OrderStatus.DELIVERED
    (event,) = events(session, "order.delivered")
    assert event.public and event.data == {"order_id": order.id, "gift_name": setup["gift"].name}
    # Delivered is still shipped: an identical confirm stays a no-op.
    shipments.confirm_shipment(
        session, order, Carrier.YAMATO, tracking(10), today_jst(), setup["user"]
    )


# --- recipients and labels --------------------------------------------------------------


def test_recipient_is_the_delivery_address_when_given(setup, make_order) -> None:
    own = shipments.recipient(setup["order"].line.donation)
    assert (own.name, own.postal_code) == ("寄附 太郎", "7270011")
    gift_to = make_order(
        setup["gift"],
        delivery_name="贈答 花子",
        delivery_postal_code="１００－０００１",
        delivery_address="東京都千代田区千代田1-1",
        delivery_phone="03-0000-0000",
    )
    to = shipments.recipient(gift_to.line.donation)
    assert (to.name, to.postal_code, to.phone) == ("贈答 花子", "1000001", "03-0000-0000")


@pytest.mark.usefixtures("session")
def test_label_rows_carry_the_supplier_as_sender(setup) -> None:
    order = setup["order"]
    (row,) = shipments.label_rows([order], setup["supplier"], today_jst())
    assert row.order_no == shipments.order_no(order)
    assert row.sender_name == setup["supplier"].name
    assert row.sender_postal == "7270013"
    assert row.recipient_name == "寄附 太郎"
    assert row.item_name == setup["gift"].name
    assert row.temperature == setup["gift"].temperature


# --- shipment files ---------------------------------------------------------------------


def simple_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    lines = ["注文番号,追跡番号,配送業者,発送日", *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def test_upload_preview_names_bad_rows_and_applies_only_good_ones(
    session, setup, make_gift, make_order
) -> None:
    supplier, user, gift = setup["supplier"], setup["user"], setup["gift"]
    good1, good2 = setup["order"], make_order(gift)
    shipped = make_order(gift)
    shipments.confirm_shipment(session, shipped, Carrier.YAMATO, tracking(20), today_jst(), user)
    foreign = make_order(make_gift())
    day = today_jst().strftime("%Y/%m/%d")
    data = simple_csv(
        [
            (shipments.order_no(good1), tracking(21), "ヤマト運輸", day),  # line 2
            (shipments.order_no(good2), "999", "佐川急便", day),  # 3: bad tracking
            ("2026-999999-1", tracking(22), "ヤマト運輸", day),  # 4: unknown
            (shipments.order_no(foreign), tracking(23), "ヤマト運輸", day),  # 5: other supplier
            (shipments.order_no(shipped), tracking(24), "ヤマト運輸", day),  # 6: already shipped
            (shipments.order_no(good1), tracking(25), "ヤマト運輸", day),  # 7: duplicate
            (shipments.order_no(good2), tracking(26), "佐川急便", day),  # 8: good
        ]
    )
    upload = shipments.preview_upload(session, supplier.id, data, filename="ship.csv", by_user=user)
    assert [r["line"] for r in upload.rows] == [2, 8]
    reasons = {p["line"]: p["reason"] for p in upload.problems}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "見つかりません" in reasons[4]
    # Another supplier's order reads exactly like a number that does not exist.
    assert reasons[5] == reasons[4].replace("2026-999999-1", shipments.order_no(foreign))
    assert tracking(20) in reasons[6]
    assert good1.status == OrderStatus.ORDERED  # nothing applied yet

    shipments.apply_upload(session, upload, by_user=user)
    assert upload.applied_count == 2
    assert good1.status == good2.status == OrderStatus.SHIPPED
    assert shipments.shipment_for(session, good2).tracking_no == tracking(26)
    assert foreign.status == OrderStatus.ORDERED
    before = session.scalar(sa.select(sa.func.count()).select_from(Shipment))
    shipments.apply_upload(session, upload, by_user=user)  # a second apply changes nothing
    assert session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == before
    assert upload.applied_count == 2


def test_upload_of_an_unknown_layout_is_refused(session, setup) -> None:
    with pytest.raises(DomainError):
        shipments.preview_upload(
            session,
            setup["supplier"].id,
            "氏名,住所\r\n佐藤,庄原\r\n".encode("cp932"),
            filename="x.csv",
            by_user=setup["user"],
        )


def test_old_uploads_expire(session, setup) -> None:
    upload = shipments.preview_upload(
        session,
        setup["supplier"].id,
        simple_csv([(shipments.order_no(setup["order"]), tracking(30), "ヤマト", "")]),
        filename="x.csv",
        by_user=setup["user"],
    )
    assert shipments.find_upload(session, setup["supplier"].id, upload.token) is upload
    assert shipments.find_upload(session, setup["supplier"].id + 1, upload.token) is None
    upload.created_at = utcnow() - timedelta(days=2)
    assert shipments.find_upload(session, setup["supplier"].id, upload.token) is None
