"""Consultation log: staff record meetings and calls; the monthly report counts them."""

from __future__ import annotations

from datetime import date

import pytest

from portal.core.errors import DomainError, PermissionDenied
from portal.core.roles import Role
from portal.gifts.consultations import month_summary, record_consultation
from tests.conftest import sign_in


def test_record_and_summarise_a_month(session, make_user, make_supplier) -> None:
    operator, city = make_user(Role.OPERATOR), make_user(Role.CITY)
    s = make_supplier()
    record_consultation(
        session,
        supplier_id=s.id,
        held_on=date(2026, 11, 2),
        kind="meeting",
        topic="新しい返礼品の相談",
        outcome="第3号で提案",
        next_step="12月に試作",
        by_user=operator,
    )
    record_consultation(
        session,
        supplier_id=s.id,
        held_on=date(2026, 11, 30),
        kind="call",
        topic="原材料の産地確認",
        by_user=operator,
    )
    record_consultation(
        session,
        supplier_id=s.id,
        held_on=date(2026, 12, 1),
        kind="call",
        topic="翌月",
        by_user=operator,
    )
    with pytest.raises(PermissionDenied):  # the city reads consultations; the operator records
        record_consultation(
            session,
            supplier_id=s.id,
            held_on=date(2026, 11, 3),
            kind="call",
            topic="x",
            by_user=city,
        )
    nov = month_summary(session, 2026, 11)
    assert nov["total"] == 2 and nov["by_kind"]["meeting"] == 1 and nov["by_kind"]["call"] == 1
    assert month_summary(session, 2026, 12)["total"] == 1


def test_only_staff_record_and_a_topic_is_needed(session, make_user, make_supplier) -> None:
    s = make_supplier()
    with pytest.raises(PermissionDenied):
        record_consultation(
            session,
            supplier_id=s.id,
            held_on=date(2026, 11, 2),
            kind="call",
            topic="x",
            by_user=make_user(Role.SUPPLIER),
        )
    with pytest.raises(DomainError) as err:
        record_consultation(
            session,
            supplier_id=s.id,
            held_on=date(2026, 11, 2),
            kind="call",
            topic=" ",
            by_user=make_user(Role.OPERATOR),
        )
    assert err.value.field == "topic"


def test_staff_page_records_an_entry(client, login, make_user, make_supplier) -> None:
    s = make_supplier(name="比婆牛ファーム")
    entry = {
        "held_on": "2026-11-20",
        "supplier_id": s.id,
        "kind": "visit",
        "topic": "工場の見学",
        "outcome": "衛生管理を確認",
        "next_step": "写真を受け取る",
    }
    login(make_user(Role.OPERATOR))
    r = client.post("/staff/consultations", data=entry)
    assert r.status_code == 303
    # The city reads the record but does not write it (PRODUCT: the city reads everything).
    city = client.application.test_client()
    sign_in(city, make_user(Role.CITY))
    body = city.get("/staff/consultations").get_data(as_text=True)
    assert "工場の見学" in body and "比婆牛ファーム" in body and "訪問" in body
    assert city.post("/staff/consultations", data=entry).status_code == 403
