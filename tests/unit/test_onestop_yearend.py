"""The year-end one-stop list: applicants grouped under their residence municipality's code."""

from __future__ import annotations

from datetime import date

from portal.donations.lifecycle import cancel_donation
from portal.receipts import onestop, yearend
from tests.conftest import pdf_text
from tests.unit.test_receipts import paid


def applied(session, order_no, *, received=date(2025, 12, 20), missing=(), **kw):
    d = paid(session, order_no, paid_on=kw.pop("paid_on", date(2025, 12, 10)),
             onestop_requested=True, **kw)
    onestop.register_return(session, d, received_on=received, missing=list(missing), by_user=None)
    return d


def donors(session):
    a = applied(session, "Y-1", donor_name="庄原 花子", donor_kana="ショウバラ ハナコ", amount=10000)
    applied(session, "Y-2", donor_name="庄原 花子", donor_kana="ショウバラ ハナコ", amount=30000,
            paid_on=date(2025, 6, 1))  # the same person twice: one applicant, two donations
    applied(session, "Y-3", donor_name="札幌 一郎", postal_code="0600001",
            address="北海道札幌市中央区北一条西1丁目", amount=20000)
    applied(session, "Y-4", donor_name="札幌 二郎", postal_code="0010010",
            address="北海道札幌市北区北十条西1丁目", amount=15000)  # a ward: still 札幌市
    applied(session, "Y-5", donor_name="千代田 三子", postal_code="1000001",
            address="東京都千代田区千代田1-1", amount=50000)  # a 特別区 is a municipality
    applied(session, "Y-6", donor_name="遅延 四郎", received=date(2026, 1, 20))  # after 13 Jan
    applied(session, "Y-7", donor_name="不備 五子", missing=["mynumber"])
    gone = applied(session, "Y-8", donor_name="取消 六郎")
    cancel_donation(session, gone, reason="test", by_user=None)
    applied(session, "Y-9", donor_name="翌年 七子", paid_on=date(2026, 1, 5),
            received=date(2026, 1, 8))  # a 2026 donation: next year's list
    applied(session, "Y-10", donor_name="不明 八郎", postal_code="9999999", address="どこか")
    return a


def test_applicants_are_grouped_under_their_municipality_code(session):
    donors(session)
    data = yearend.yearend_list(session, 2025)
    assert data.deadline == date(2026, 1, 13)  # 10 Jan 2026 is a Saturday, 12 Jan 成人の日
    got = {
        g.municipality.code: (g.municipality.label, sorted(a.name for a in g.applicants), g.total)
        for g in data.groups
    }
    assert got == {
        "011002": ("北海道札幌市", ["札幌 一郎", "札幌 二郎"], 35000),
        "131016": ("東京都千代田区", ["千代田 三子"], 50000),
        "342106": ("広島県庄原市", ["庄原 花子"], 40000),
        "": ("", ["不明 八郎"], 12000),
    }
    assert [g.municipality.code for g in data.groups][-1] == ""  # the unknown ones last
    shobara = next(g for g in data.groups if g.municipality.code == "342106")
    assert shobara.donation_count == 2 and len(shobara.applicants) == 1
    assert sorted((e.reason, e.name) for e in data.excluded) == [
        ("incomplete", "不備 五子"),
        ("late", "遅延 四郎"),
    ]


def test_check_digits_and_designated_cities():
    assert yearend.with_check_digit("34210") == "342106"
    assert yearend.with_check_digit("01100") == "011002"
    assert yearend.with_check_digit("13101") == "131016"
    assert yearend.municipality_for("730-0011").code == "341002"  # 広島市中区 → 広島市
    assert yearend.municipality_for("０６０－０００１").name == "札幌市"
    assert yearend.municipality_for("1234") is None


def test_csv_and_pdf_carry_the_list_and_leave_the_my_number_to_the_city(session, app):
    donors(session)
    data = yearend.yearend_list(session, 2025)
    rows = yearend.csv_rows(data)
    assert len(rows) == 6  # one per donation of the listed applicants
    header = yearend.CSV_HEADER
    shobara = [r for r in rows if r[0] == "342106"]
    assert [r[header.index("寄附金額")] for r in shobara] == ["10000", "30000"]
    assert {r[header.index("氏名")] for r in shobara} == {"庄原 花子"}
    assert all(r[header.index("個人番号（市で記入）")] == "" for r in rows)
    with app.app_context():
        text = "".join(pdf_text(yearend.render_pdf(data, city_name="庄原市")).split())
    assert "北海道札幌市（011002）" in text and "東京都千代田区（131016）" in text
    assert "寄附者数2人" in text and "35,000円" in text
    assert "個人番号（市で記入）" in text and "市のシステムで記入" in text
    assert "遅延四郎" in text and "期限（令和8年1月13日）後の到着" in text
    assert "不備あり：マイナンバー確認書類" in text
    assert "取消六郎" not in text and "翌年七子" not in text
