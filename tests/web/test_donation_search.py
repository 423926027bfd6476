"""One search box finds a caller's donation (staff donation list, desk side panel)."""

from __future__ import annotations

import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.roles import Role
from portal.donations.models import Donation


def _numbers(html: str, *donations: Donation) -> list[str]:
    return [d.donation_no for d in donations if d.donation_no in html]


def test_staff_find_a_donation_by_what_the_caller_says(session, login, make_user, make_donation):
    yoshida = make_donation(
        donor_name="𠮷田 花子",
        donor_kana="ヨシダ ハナコ",
        phone="090-1234-5678",
        email="yoshida@example.jp",
        postal_code="7270011",
        portal_order_no="RK-778899",
    )
    other = make_donation(
        donor_name="髙橋 一郎",
        donor_kana="タカハシ イチロウ",
        phone="0824-72-1111",
        email="ichiro@example.jp",
        postal_code="7280000",
    )
    user = make_user(Role.CITY)  # the city reads: it may search too
    client = login(user)
    number = yoshida.donation_no.replace("-", "")
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number)  # ２０２６０００００１
    for term in (
        "吉田",  # a caller cannot spell 𠮷
        "吉田花子",
        "𠮷田　花子",
        "よしだ",
        "ﾖｼﾀﾞ ﾊﾅｺ",
        "09012345678",
        "090 1234 5678",
        "YOSHIDA@example.jp",
        "〒727-0011",
        "RK-778899",
        wide,
    ):
        page = client.post("/staff/donations", data={"q": term}).get_data(as_text=True)
        assert _numbers(page, yoshida, other) == [yoshida.donation_no], term
    page = client.post("/staff/donations", data={"q": "高橋"}).get_data(as_text=True)
    assert _numbers(page, yoshida, other) == [other.donation_no]
    page = client.post("/staff/donations", data={"q": "存在しない"}).get_data(as_text=True)
    assert _numbers(page, yoshida, other) == []
    # every search writes an audit row naming what was shown, never the term itself
    rows = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.actor_user_id == user.id, AuditEntry.action == "search"
        )
    ).all()
    assert len(rows) == 13
    assert all("吉田" not in r.label + r.detail and "090" not in r.label for r in rows)


def test_a_name_search_keeps_the_name_out_of_urls(login, make_user, make_donation):
    d = make_donation(donor_name="吉田 花子", donor_kana="ヨシダ ハナコ")
    client = login(make_user(Role.OPERATOR))
    page = client.post("/staff/donations", data={"q": "吉田"}).get_data(as_text=True)
    assert d.donation_no in page
    assert "q=%E5%90%89" not in page and "q=吉田" not in page  # chips/next page: s=1 only
    again = client.get("/staff/donations?s=1").get_data(as_text=True)  # the chip's own list
    assert d.donation_no in again
    # a name in the query string is ignored (only a 寄附受付番号 may travel in a URL)
    make_donation(donor_name="別人 太郎")
    listed = client.get("/staff/donations?q=%E5%90%89%E7%94%B0").get_data(as_text=True)
    assert "別人 太郎" in listed
    assert d.donation_no in client.get(f"/staff/donations?q={d.donation_no}").get_data(as_text=True)


def test_search_columns_follow_an_edit(session, make_donation):
    d = make_donation(donor_name="山田 花子", phone="090-0000-0000")
    assert d.search_name == "山田花子" and d.search_phone == "09000000000"
    d.donor_name = "濱田 花子"
    session.flush()
    session.refresh(d)
    assert d.search_name == "浜田花子"


def test_desk_side_panel_finds_the_callers_donation(session, login, make_user, make_donation):
    d = make_donation(donor_name="渡邊 花子", donor_kana="ワタナベ ハナコ", phone="0824-72-3333")
    make_donation(donor_name="別人 太郎", donor_kana="ベツジン タロウ")
    user = make_user(Role.OPERATOR)
    client = login(user)
    for term in ("渡辺", "わたなべ はなこ", "0824723333"):
        r = client.post(
            "/support/donations/search", data={"q": term}, headers={"HX-Request": "true"}
        )
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and d.donation_no in html and "別人" not in html, term
        assert "<html" not in html  # the panel's fragment only
    empty = client.post("/support/donations/search", data={"q": "  "}).get_data(as_text=True)
    assert "番号・氏名・電話番号などを入力してください。" in empty
    assert (
        session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.actor_user_id == user.id, AuditEntry.action == "search"
            )
        )
        == 3
    )
