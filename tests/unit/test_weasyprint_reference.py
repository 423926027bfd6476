"""The fast paths print what WeasyPrint's public API prints for the same HTML.

The mailing sets go through a form overlay built on WeasyPrint internals (fixed layers once per
process, margin boxes skipped, pages copied out of the PDF object tree); the proposal sheet
through the process's cached font configuration and stylesheet. The reference renders the same
HTML with plain `HTML(...).write_pdf()`. A donor, a tax office or the print room reading the
two must read the same text on every page.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from portal.documents import mailing, proposal_sheet
from portal.documents.mailing import MailingSet
from portal.documents.proposal_sheet import MaterialRow, ProposalSheet, StepRow
from tests.conftest import pdf_page_texts

ONESTOP = MailingSet(
    set_id="B2027-0003-00001",
    donor_name="山田 花子",
    postal_code="727-0011",
    address="広島県庄原市東本町1丁目10番1号\nふるさと荘101号室",
    donation_number="D2026-0000042",
    amount=30000,
    received_on=date(2026, 12, 28),
    payment_method="クレジットカード",
    receipt_number="2026-000123",
    issued_on=date(2027, 1, 8),
    onestop_requested=True,
    donor_phone="090-1234-5678",
    donor_kana="ヤマダ ハナコ",
)
# A reissued receipt, letter and receipt only, with an address long enough to be set smaller.
REISSUED = replace(
    ONESTOP,
    set_id="B2027-0003-00002",
    donor_name="佐藤 一郎",
    address="広島県庄原市東城町川西1234番地の5\nふるさとマンション東城ABC棟\n1001号室\n山田様方",
    donation_number="D2026-0000043",
    amount=1_250_000,
    receipt_number="2026-000124",
    reissued=True,
    reissued_on=date(2027, 2, 3),
    onestop_requested=False,
)


def squash(text: str) -> str:
    return "".join(text.split())


def test_mailing_sets_read_the_same_as_the_public_api_rendering(app):
    sets = [ONESTOP, REISSUED]
    with app.app_context():
        fast = pdf_page_texts(mailing.render_sets(sets))
        reference = pdf_page_texts(mailing.render_reference(sets))
    assert len(fast) == len(reference) == 6
    for page, (ours, theirs) in enumerate(zip(fast, reference, strict=True), start=1):
        assert ours == theirs, f"page {page} reads differently from the public-API rendering"
    # …and both carry the documents, not two empty pages alike.
    letter, receipt, form, example, letter2, receipt2 = map(squash, fast)
    assert "ご寄附への御礼" in letter and "山田花子様" in letter
    assert "寄附金受領証明書" in receipt and "30,000円" in receipt and "2026-000123" in receipt
    assert "申告特例申請書" in form and "090-1234-5678" in form and "ヤマダハナコ" in form
    assert "記入例" in example and "D2026-0000042" in example
    assert "佐藤一郎様" in letter2 and "ふるさとマンション東城ABC棟" in letter2
    assert "再発行令和9年2月3日" in receipt2 and "1,250,000円" in receipt2


def sheet(number: str, rows: int) -> ProposalSheet:
    return ProposalSheet(
        number=number,
        name="比婆牛 熟成ロース 500g",
        supplier="株式会社ひばファーム",
        state="承認",
        criterion_article="第5条第3号イ",
        criterion_text="区域内で生産されたものを原材料とし、区域内で熟成・精米したもの",
        materials=tuple(
            MaterialRow(f"黒毛和牛肉{i}", "広島県庄原市", "100" if i == 0 else "")
            for i in range(rows)
        ),
        steps=(StepRow("ドライエイジング", "庄原市西城町", "60"),),
        service_place="",
        details=(("生産地（住所）", "広島県庄原市西城町"),),
        contents="ロース 500g",
        required_amount="30,000円",
        procurement_cost="8,700円",
        shipping_fee="2,000円",
        return_ratio="29.0%",
        approved_on="令和8年11月25日",
        approver_role="市職員（ふるさと納税担当）",
        printed_on="令和8年12月1日",
    )


def test_proposal_sheets_read_the_same_as_the_public_api_rendering(app):
    # The second sheet has so many origin rows that it continues on a next page, whose
    # running footer (a margin box) repeats its proposal number.
    sheets = [sheet("41", rows=1), sheet("42", rows=60)]
    with app.app_context():
        fast = pdf_page_texts(proposal_sheet.render_sheets(sheets, city_name="庄原市"))
        reference = pdf_page_texts(proposal_sheet.render_reference(sheets, city_name="庄原市"))
    assert len(fast) == len(reference) >= 3
    for page, (ours, theirs) in enumerate(zip(fast, reference, strict=True), start=1):
        assert ours == theirs, f"page {page} reads differently from the public-API rendering"
    assert "比婆牛熟成ロース500g" in squash(fast[0]) and "29.0%" in squash(fast[0])
    assert "提案番号42" in squash(fast[-1]) and "黒毛和牛肉59" in squash(fast[-1])
