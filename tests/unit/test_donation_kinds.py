"""Disaster relief (災害支援) and crowdfunding: set by every mapping and by direct entry,
counted separately, receipted like any donation (issue 12 item 7)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.portals import Portal
from portal.donations.direct import DirectEntry, enter_direct_donation
from portal.donations.importers import import_file
from portal.donations.importers.engine import PORTALS, load_mapping
from portal.donations.lifecycle import DonationData, cancel_donation, create_donation
from portal.donations.models import Donation, DonationKind, PaymentMethod, PaymentState
from portal.donations.queries import donation_figures, kind_clause
from portal.receipts import service as receipts

STANDARD_HEADER = "受付番号,寄附日,入金日,決済方法,寄附金額,氏名,返礼品コード,寄附使途,災害支援,プロジェクト名\r\n"


def _standard(*rows: str) -> bytes:
    return (STANDARD_HEADER + "".join(r + "\r\n" for r in rows)).encode("cp932")


def _by_no(session, portal: Portal) -> dict[str, Donation]:
    return {
        d.portal_order_no: d
        for d in session.scalars(sa.select(Donation).where(Donation.portal == portal))
    }


def test_standard_file_reads_the_column_the_purpose_wording_and_the_project(session, make_project):
    cattle = make_project("比婆牛の牧場を守る")
    result = import_file(
        session,
        "standard",
        _standard(
            "S-1,2026/12/01,2026/12/01,クレジットカード,10000,庄原 太郎,,市長におまかせ,する,",
            "S-2,2026/12/01,2026/12/01,クレジットカード,20000,庄原 花子,,令和8年豪雨災害支援,,",
            "S-3,2026/12/01,,銀行振込,30000,庄原 次郎,,子育て・教育,対象外,比婆牛の牧場を守る",
            "S-4,2026/12/01,,銀行振込,5000,庄原 三郎,,子育て・教育,,",
        ),
    )
    assert result.summary() == "new=4 updated=0 unchanged=0 rejected=0 conflicts=0"
    got = _by_no(session, Portal.STANDARD)
    assert [(no, d.disaster_relief, d.project) for no, d in sorted(got.items())] == [
        ("S-1", True, ""),
        ("S-2", True, ""),
        ("S-3", False, "比婆牛の牧場を守る"),
        ("S-4", False, ""),
    ]
    # A later export that drops the flag (or names a project) updates the donation.
    later = import_file(
        session,
        "standard",
        _standard(
            "S-1,2026/12/01,2026/12/01,クレジットカード,10000,庄原 太郎,,市長におまかせ,しない,",
            "S-4,2026/12/01,,銀行振込,5000,庄原 三郎,,子育て・教育,,比婆牛の牧場を守る",
        ),
    )
    assert later.summary() == "new=0 updated=2 unchanged=0 rejected=0 conflicts=0"
    session.expire_all()
    got = _by_no(session, Portal.STANDARD)
    assert not got["S-1"].disaster_relief and got["S-4"].project == "比婆牛の牧場を守る"
    assert got["S-3"].project_id == got["S-4"].project_id == cattle.id


def test_a_bad_disaster_relief_value_is_a_translated_rejection(session):
    result = import_file(
        session,
        "standard",
        _standard("S-9,2026/12/01,,銀行振込,10000,庄原 太郎,,,たぶん,"),
    )
    assert [str(r.reason) for r in result.rejected] == ["「災害支援」の値「たぶん」を読めません。"]


def test_choice_purpose_wording_marks_disaster_relief(session, make_project):
    make_project()
    header = "受付番号,申込日,支払方法,寄附金額,寄附者氏名,寄附金の使い道,プロジェクト名\r\n"
    body = (
        "C-1,2026/12/01,銀行振込,10000,庄原 太郎,【災害支援】令和8年7月豪雨,\r\n"
        "C-2,2026/12/01,銀行振込,10000,庄原 花子,おまかせ,庄原の桜を次の世代へ\r\n"
    )
    result = import_file(session, "choice", (header + body).encode("cp932"))
    assert result.summary() == "new=2 updated=0 unchanged=0 rejected=0 conflicts=0"
    got = _by_no(session, Portal.CHOICE)
    assert got["C-1"].disaster_relief and got["C-1"].project == ""
    assert not got["C-2"].disaster_relief and got["C-2"].project == "庄原の桜を次の世代へ"
    assert got["C-2"].purpose == "市長におまかせ"


def test_rakuten_purpose_option_marks_disaster_relief(session):
    header = "注文番号,ステータス,注文日時,支払方法名,合計金額,注文者姓,注文者名,項目・選択肢\r\n"
    body = (
        "R-1,発送待ち,2026-12-01 10:00:00,クレジットカード,10000,庄原,太郎,"
        '"寄附金の使い道:被災地支援（令和8年豪雨）\r\n受領証明書:必要"\r\n'
        "R-2,発送待ち,2026-12-01 10:00:00,クレジットカード,10000,庄原,花子,"
        '"寄附金の使い道:自治体におまかせ"\r\n'
    )
    result = import_file(session, "rakuten", (header + body).encode("cp932"))
    assert result.summary() == "new=2 updated=0 unchanged=0 rejected=0 conflicts=0"
    got = _by_no(session, Portal.RAKUTEN)
    assert got["R-1"].disaster_relief and not got["R-2"].disaster_relief


@pytest.mark.parametrize("portal", PORTALS)
def test_every_mapping_has_a_way_to_derive_disaster_relief(portal):
    mapping = load_mapping(portal)
    assert "disaster_relief" in mapping.columns.values() or mapping.disaster_relief_words


def test_direct_entry_sets_disaster_relief_and_project(session, make_user, make_project):
    staff = make_user()
    sakura = make_project("クラファン 桜")
    d = enter_direct_donation(
        session,
        DirectEntry(
            donor_name="庄原 太郎",
            donor_kana="",
            postal_code="",
            address="",
            phone="",
            email="",
            amount=50000,
            applied_on=date(2026, 12, 1),
            payment_method=PaymentMethod.BANK,
            paid_on=date(2026, 12, 2),
            disaster_relief=True,
            project_id=sakura.id,
        ),
        by_user=staff,
    )
    assert d.disaster_relief and d.project == "クラファン 桜" and d.project_id == sakura.id


def _donation(session, no: str, amount: int, *, paid: bool = True, **kw) -> Donation:
    return create_donation(
        session,
        DonationData(
            portal=Portal.STANDARD,
            portal_order_no=no,
            donor_name="庄原 太郎",
            amount=amount,
            applied_on=kw.pop("applied_on", date(2026, 12, 1)),
            payment_method=PaymentMethod.CARD,
            payment_state=PaymentState.PAID if paid else PaymentState.UNPAID,
            **kw,
        ),
    )


def test_figures_count_relief_and_crowdfunding_separately(session, make_project):
    sakura = make_project("桜").id
    _donation(session, "F-1", 10000)
    _donation(session, "F-2", 20000, disaster_relief=True)
    _donation(session, "F-3", 30000, project="桜", project_id=sakura, paid=False)
    _donation(session, "F-4", 40000, project="桜", project_id=sakura, disaster_relief=True)
    cancelled = _donation(session, "F-5", 50000, disaster_relief=True)
    cancel_donation(session, cancelled, "重複")
    _donation(session, "F-6", 60000, disaster_relief=True, applied_on=date(2025, 12, 31))
    session.flush()
    fig = donation_figures(session, 2026)
    assert (fig.total.count, fig.total.amount) == (4, 100000)
    assert (fig.paid.count, fig.paid.amount) == (3, 70000)
    assert (fig.disaster_relief.count, fig.disaster_relief.amount) == (2, 60000)
    assert (fig.crowdfunding.count, fig.crowdfunding.amount) == (2, 70000)
    assert (fig.regular.count, fig.regular.amount) == (1, 10000)
    assert donation_figures(session, 2025).disaster_relief.amount == 60000
    relief = session.scalars(
        sa.select(Donation.portal_order_no).where(kind_clause(DonationKind.DISASTER_RELIEF))
    ).all()
    assert sorted(relief) == ["F-2", "F-4", "F-5", "F-6"]


def test_disaster_relief_receipts_follow_the_same_rules(session):
    relief = _donation(session, "K-1", 30000, disaster_relief=True)
    plain = _donation(session, "K-2", 30000)
    unwanted = _donation(session, "K-3", 30000, disaster_relief=True, receipt_wanted=False)
    unpaid = _donation(session, "K-4", 30000, disaster_relief=True, paid=False)
    session.flush()
    due = session.scalars(receipts.unissued_stmt()).all()
    assert [d.portal_order_no for d in due] == ["K-1", "K-2"]
    assert receipts.due_on_for(relief) == receipts.due_on_for(plain) == date(2026, 12, 15)
    issued = receipts.issue_receipt(session, relief, on=date(2026, 12, 2))
    assert issued.received_on == date(2026, 12, 1) and issued.number.startswith("2026-")
    for d in (unwanted, unpaid):
        with pytest.raises(Exception, match="受領証明書"):
            receipts.issue_receipt(session, d)
