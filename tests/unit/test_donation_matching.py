"""Bulk payment matching: exact matches are paid, everything else is listed, never guessed."""

from __future__ import annotations

from datetime import date

from portal.core.portals import Portal
from portal.donations.lifecycle import DonationData, create_donation
from portal.donations.matching import match_payments
from portal.donations.models import DonationState, PaymentMethod


def _d(session, no, name, kana, amount):
    return create_donation(
        session,
        DonationData(
            portal=Portal.DIRECT,
            portal_order_no=no,
            donor_name=name,
            donor_kana=kana,
            amount=amount,
            applied_on=date(2026, 12, 1),
            payment_method=PaymentMethod.BANK,
        ),
    )


def test_bank_list_marks_exact_matches_and_lists_the_rest(session):
    a = _d(session, "M-1", "庄原 花子", "ショウバラ ハナコ", 10000)
    b = _d(session, "M-2", "比婆 一郎", "ヒバ イチロウ", 20000)
    c1 = _d(session, "M-3", "同名 太郎", "ドウメイ タロウ", 5000)
    c2 = _d(session, "M-4", "同名 太郎", "ドウメイ タロウ", 5000)
    csv_text = (
        "寄附受付番号,振込依頼人名,入金額,振込日\n"
        f'{a.donation_no},ｼｮｳﾊﾞﾗ ﾊﾅｺ,"10,000",2026/12/05\n'
        ",ヒバ イチロウ,２００００,20261206\n"
        ",ドウメイ タロウ,5000,2026/12/07\n"
        ",ダレモ イナイ,3000,2026/12/07\n"
        f"{c1.donation_no},,4000,2026/12/07\n"
    )
    result = match_payments(session, csv_text.encode("cp932"))
    assert result.matched == [a.donation_no, b.donation_no]
    assert a.state == DonationState.PAID and a.paid_on == date(2026, 12, 5)
    assert b.paid_on == date(2026, 12, 6) and len(result.mismatches) == 3
    assert [m.line for m in result.mismatches] == [4, 5, 6]
    assert "複数" in str(result.mismatches[0].reason)
    assert "金額が一致しません" in str(result.mismatches[2].reason)
    assert c1.state == c2.state == DonationState.RECEIVED
