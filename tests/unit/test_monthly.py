"""The city invoice and the monthly business report for a month built from known records:
every total to the yen (tax rounding included), in the figures, the PDF text and the xlsx."""

from __future__ import annotations

from datetime import date

import pytest

from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.gifts.consultations import record_consultation
from portal.monthly import contract, documents, invoice, records, report
from portal.monthly.models import InvoiceKind, ReportState, Rounding
from portal.receipts.models import (
    AddressCheck,
    BatchStatus,
    ItemKind,
    OnestopReturn,
    OnestopState,
    ReceiptBatch,
    ReceiptBatchItem,
)
from portal.shipping.carriers import Carrier
from portal.shipping.models import ResendCause
from portal.shipping.resends import record_resend
from portal.statements import service as statements
from tests.conftest import jst, pdf_page_texts

NOVEMBER = "2026-11"


@pytest.fixture()
def november(session, make_supplier, make_gift, make_user, make_order, make_donation,
             make_receipt, frozen_clock, make_project):  # fmt: skip
    """Four November donations (two portals with gifts, one without a gift, one crowdfunding),
    two shipments, one mailed batch of three sets, a city-paid advertisement, rates."""
    frozen_clock.freeze(jst(2026, 12, 5, 10, 0))
    staff = make_user(Role.OPERATOR)
    farm, ranch = make_supplier(name="庄原農園"), make_supplier(name="比婆牧場")
    rice = make_gift(farm, name="庄原米", procurement_cost=3000, shipping_fee=1200)
    beef = make_gift(ranch, name="比婆牛", procurement_cost=9000, shipping_fee=1500)
    rice_order = make_order(
        rice, quantity=2, shipped_on=date(2026, 11, 10), paid_on=date(2026, 11, 2),
        amount=12345, portal=Portal.CHOICE, ship_by=date(2026, 11, 20),
    )  # fmt: skip
    beef_order = make_order(
        beef, shipped_on=date(2026, 11, 20), paid_on=date(2026, 11, 15), amount=23456,
        portal=Portal.RAKUTEN, ship_by=date(2026, 11, 25),
    )  # fmt: skip
    d1, d2 = rice_order.line.donation, beef_order.line.donation
    # Re-sends: one the supplier caused (not billed to the city), one the carrier lost (billed).
    record_resend(session, rice_order, cause=ResendCause.SUPPLIER, carrier=Carrier.OTHER.value,
                  tracking="RS0001", shipped_on=date(2026, 11, 15), quantity=1, by_user=staff)  # fmt: skip
    record_resend(session, beef_order, cause=ResendCause.CARRIER, carrier=Carrier.OTHER.value,
                  tracking="RS0002", shipped_on=date(2026, 11, 25), by_user=staff)  # fmt: skip
    d3 = make_donation(lines=[], amount=7777, portal=Portal.FURUNAVI, paid_on=date(2026, 11, 20))
    make_donation(
        lines=[], amount=50001, portal=Portal.CHOICE, paid_on=date(2026, 11, 30),
        project="比和の森を守るプロジェクト",
        project_id=make_project("比和の森を守るプロジェクト", gift_less=True).id,
    )  # fmt: skip
    make_donation(lines=[], amount=9999, portal=Portal.RAKUTEN, paid_on=date(2026, 12, 1))
    make_donation(lines=[], amount=4000, portal=Portal.CHOICE, paid_on=date(2026, 4, 1))
    make_donation(lines=[], amount=30000, portal=Portal.CHOICE, paid_on=date(2025, 10, 10))
    make_donation(lines=[], amount=5000, portal=Portal.CHOICE, paid_on=date(2025, 12, 3))
    for st in statements.generate(session, NOVEMBER):
        supplier_user = make_user(Role.SUPPLIER, supplier=st.supplier)
        statements.confirm(session, st, by_user=supplier_user)

    receipts = [make_receipt(d, on=date(2026, 11, 24)) for d in (d1, d2, d3)]
    mailed = ReceiptBatch(label="B2026-0001", until=date(2026, 11, 24), status=BatchStatus.MAILED,
                          count=3, mailed_on=date(2026, 11, 25))  # fmt: skip
    later = ReceiptBatch(label="B2026-0002", until=date(2026, 12, 1), status=BatchStatus.MAILED,
                         count=1, mailed_on=date(2026, 12, 2))  # fmt: skip
    kinds = (ItemKind.FIRST, ItemKind.FIRST, ItemKind.REISSUE)
    for i, (receipt, kind) in enumerate(zip(receipts, kinds, strict=True)):
        mailed.items.append(
            ReceiptBatchItem(receipt=receipt, position=i, set_id=f"S{i}", kind=kind)
        )
    later.items.append(
        ReceiptBatchItem(receipt=receipts[0], position=0, set_id="L", kind=ItemKind.REMAIL)
    )
    session.add_all([mailed, later])
    session.add(AddressCheck(receipt=receipts[2], donation=d3, returned_on=date(2026, 11, 27)))
    session.add_all([
        OnestopReturn(donation_id=d1.id, received_on=date(2026, 11, 12),
                      last_received_on=date(2026, 11, 12), state=OnestopState.COMPLETE),
        OnestopReturn(donation_id=d2.id, received_on=date(2026, 11, 13),
                      last_received_on=date(2026, 11, 13), state=OnestopState.INCOMPLETE),
    ])  # fmt: skip
    session.flush()

    contract.add_rate(
        session, valid_from=date(2026, 4, 1), base_rate_bp=1200, no_gift_rate_bp=500,
        crowdfunding_rate_bp=850, mailing_unit_price=95, mailing_in_base=False,
        tax_rate_percent=10, tax_rounding=Rounding.FLOOR, by_user=staff,
    )  # fmt: skip
    records.add_advertisement(
        session, paid_on=date(2026, 11, 18), amount=5500, description="楽天 特集バナー",
        portal=Portal.RAKUTEN, evidence_ref="RK-2026-1118", by_user=staff,
    )  # fmt: skip
    record_consultation(
        session, supplier_id=farm.id, held_on=date(2026, 11, 5), kind="meeting",
        topic="新米の定期便", by_user=staff,
    )  # fmt: skip
    records.add_article(
        session, title="庄原米ができるまで", published_on=date(2026, 11, 8),
        portal=Portal.CHOICE, url="https://example.jp/a/1", by_user=staff,
    )  # fmt: skip
    records.add_promotion(
        session, what="年末の新聞広告", done_on=date(2026, 11, 22), medium="中国新聞",
        cost=30000, donations_count=6, donations_amount=120000, effect="問合せ増", by_user=staff,
    )  # fmt: skip
    return {"staff": staff, "city": make_user(Role.CITY)}


# base: (12,345 + 23,456) × 12% = 4,296.12 → 4,296; 7,777 × 5% = 388.85 → 388;
# 50,001 × 8.5% = 4,250.085 → 4,250; gifts: 2 × (3,000 + 1,200) + 9,000 + 1,500 = 18,900,
# plus the carrier's re-send of the beef 9,000 + 1,500 = 10,500 (the supplier's re-send of one
# rice, 4,200, is not billed); mailing 3 × 95 = 285; tax (8,934 + 285) × 10% = 921.9 → 921
# (1円未満切捨て); ad −5,500.
TOTAL = 4296 + 388 + 4250 + 18900 + 10500 + 285 + 921 - 5500


@pytest.mark.usefixtures("november")
def test_invoice_totals_to_the_yen(session):
    draft = invoice.build(session, NOVEMBER)
    base = [ln.amount for ln in draft.lines if ln.section == "base"]
    assert base == [4296, 388, 4250]
    assert [ln.basis for ln in draft.lines if ln.section == "base"] == [35801, 7777, 50001]
    gifts = [(ln.quantity, ln.cost, ln.shipping, ln.amount)
             for ln in draft.lines if ln.section == "gifts"]  # fmt: skip
    assert sorted(gifts) == [(1, 9000, 1500, 10500), (1, 9000, 1500, 10500), (2, 6000, 2400, 8400)]
    not_billed = [ln for ln in draft.lines if ln.section == "not_billed"]
    assert [(ln.quantity, ln.cost + ln.shipping, ln.amount) for ln in not_billed] == [(1, 4200, 0)]
    assert "庄原農園" in not_billed[0].label and "事業者の責" in not_billed[0].detail
    assert draft.section_total("gifts") == 29400
    assert draft.section_total("mailing") == 285
    assert (draft.taxable, draft.tax) == (9219, 921)
    assert draft.section_total("ads") == -5500
    assert draft.total == TOTAL == 34040
    assert "1円未満切捨て" in draft.tax_note


@pytest.mark.usefixtures("november")
def test_tax_rounding_follows_the_contract(session):
    rate = contract.rate_for(session, date(2026, 11, 1))
    rate.tax_rounding = Rounding.CEIL
    assert invoice.build(session, NOVEMBER).tax == 922
    rate.tax_rounding = Rounding.HALF_UP
    assert invoice.build(session, NOVEMBER).tax == 922
    rate.mailing_in_base = True
    draft = invoice.build(session, NOVEMBER)
    assert draft.section_total("mailing") == 0 and draft.tax == 893  # 8,934 × 10% = 893.4


def test_issued_invoice_is_numbered_locked_and_corrected_by_a_credit_note(session, november):
    inv = invoice.issue(session, NOVEMBER, by_user=november["staff"])
    assert inv.number == "INV2026-0001" and inv.total == 34040
    assert [ad.deducted_invoice_id for ad in records.advertisements(session)] == [inv.id]
    with pytest.raises(Conflict):
        invoice.issue(session, NOVEMBER, by_user=november["staff"])
    with pytest.raises(Conflict, match="赤伝"), session.begin_nested():
        inv.lines[0].amount = 1
        session.flush()
    assert invoice.current_invoice(session, NOVEMBER).lines[0].amount == 4296
    with pytest.raises(PermissionDenied):
        invoice.credit_note(session, inv, reason="誤り", by_user=november["city"])
    credit = invoice.credit_note(session, inv, reason="送料の誤り", by_user=november["staff"])
    assert credit.kind == InvoiceKind.CREDIT and credit.original_id == inv.id
    assert credit.number == "CR2026-0001" and credit.total == -34040
    assert sum(ln.amount for ln in credit.lines) == -34040
    again = invoice.issue(session, NOVEMBER, by_user=november["staff"])
    assert again.number == "INV2026-0002" and again.total == 34040  # the ad deducted again


def test_invoice_waits_for_confirmed_statements_and_a_contract_rate(
    session, november, make_order, make_gift
):
    make_order(make_gift(), shipped_on=date(2026, 11, 28), paid_on=date(2026, 10, 1),
               ship_by=date(2026, 11, 30))  # fmt: skip
    statements.generate(session, NOVEMBER)  # a new supplier's statement, still open
    with pytest.raises(DomainError, match="確認"):
        invoice.issue(session, NOVEMBER, by_user=november["staff"])
    with pytest.raises(DomainError):
        invoice.build(session, "2026-03")  # before the first contract period


def test_invoice_pdf_and_xlsx_carry_the_totals_and_references(session, november):
    inv = invoice.issue(session, NOVEMBER, by_user=november["staff"])
    text = "".join(pdf_page_texts(documents.invoice_pdf(inv))).replace(" ", "")
    assert "INV2026-0001" in text and "34,040" in text and "921" in text and "-5,500" in text
    values = documents.sheet_values(documents.invoice_xlsx(inv))
    assert 34040 in values and 921 in values and -5500 in values and 4296 in values
    refs = [v for v in values if isinstance(v, str) and "#" in v]
    assert any("RK" not in r and "事業者明細の行" in r for r in refs)


@pytest.mark.usefixtures("november")
def test_report_figures_to_the_yen(session):
    f = report.figures(session, NOVEMBER)
    assert (f.count, f.amount) == (4, 93579)
    by_portal = {r.portal: (r.count, r.amount, r.ytd_amount, r.last_ytd_amount) for r in f.portals}
    assert by_portal[Portal.CHOICE] == (2, 62346, 66346, 30000)
    assert by_portal[Portal.RAKUTEN] == (1, 23456, 23456, 0)
    assert (f.ytd_amount, f.last_ytd_amount) == (97579, 30000)
    assert dict((d.day, (c, a)) for d, c, a in f.days if c) == {
        2: (1, 12345),
        15: (1, 23456),
        20: (1, 7777),
        30: (1, 50001),
    }
    assert (f.shipped_units, f.gift_cost, f.gift_shipping) == (3, 24000, 5400)
    assert (f.resent_units, f.not_billed) == (2, 4200)
    assert (f.sets_mailed, f.sets_by_kind["reissue"], f.returned_mail) == (3, 1, 1)
    assert (f.onestop_received, f.onestop_incomplete) == (2, 1)
    assert f.consultations["total"] == 1 and [a.title for a in f.articles] == ["庄原米ができるまで"]
    assert (f.promotion_cost, f.cost_per_donation, f.amount_per_yen) == (30000, 5000, 4.0)


def test_report_pdf_and_xlsx_contain_the_totals(session, november):
    rep = report.open_report(session, NOVEMBER, by_user=november["staff"])
    report.set_comment(session, rep, "a", "楽天の特集で伸びました", by_user=november["staff"])
    f = report.figures(session, NOVEMBER)
    pages = pdf_page_texts(documents.report_pdf(f, rep))
    text = "".join(pages).replace(" ", "")
    for figure in (
        "93,579",
        "97,579",
        "30,000",
        "29,400",
        "4,200",
        "庄原米ができるまで",
        "楽天の特集で伸びました",
    ):
        assert figure in text, figure
    data = documents.report_xlsx(f, rep)
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:6] == [
        "ア 寄附",
        "イ 発送",
        "ウ 問合せ",
        "エ 発送書類",
        "オ 開発提案",
        "カ 情報発信",
    ]
    values = documents.sheet_values(data)
    assert 93579 in values and 97579 in values and 24000 in values and 4200 in values


def test_report_turns_city_accepts_or_returns(session, november):
    staff, city = november["staff"], november["city"]
    rep = report.open_report(session, NOVEMBER, by_user=staff)
    with pytest.raises(PermissionDenied):
        report.set_comment(session, rep, "a", "市が書く", by_user=city)
    with pytest.raises(PermissionDenied):
        report.submit(session, rep, by_user=city)
    with pytest.raises(Conflict):
        report.accept(session, rep, by_user=city)  # not submitted yet
    report.submit(session, rep, by_user=staff)
    with pytest.raises(Conflict):
        report.set_comment(session, rep, "a", "提出後", by_user=staff)
    with pytest.raises(PermissionDenied):
        report.accept(session, rep, by_user=staff)
    with pytest.raises(DomainError):
        report.send_back(session, rep, by_user=city, comment="")
    report.send_back(session, rep, by_user=city, comment="ウの苦情の対応を追記してください")
    assert rep.state == ReportState.RETURNED
    report.set_comment(session, rep, "u", "苦情1件: 配送遅延、再送で解決", by_user=staff)
    report.submit(session, rep, by_user=staff)
    report.accept(session, rep, by_user=city)
    kinds = [e.kind for e, _u in report.history(session, rep)]
    assert kinds == ["report.created", "report.submitted", "report.returned",
                     "report.submitted", "report.accepted"]  # fmt: skip


@pytest.mark.parametrize(
    ("month", "due"),
    [("2026-11", date(2026, 12, 10)), ("2026-12", date(2027, 1, 10)),
     ("2027-02", date(2027, 3, 10)), ("2027-03", date(2027, 3, 31))],
)  # fmt: skip
def test_due_dates(month, due):
    assert report.due_date(month) == due


def test_contract_rates_are_checked(session, november):
    with pytest.raises(DomainError):
        contract.parse_percent("12.345", "base_rate")
    assert contract.parse_percent("12.5", "x") == 1250
    invoice.issue(session, NOVEMBER, by_user=november["staff"])
    with pytest.raises(DomainError):  # would rewrite an invoiced month
        contract.add_rate(
            session, valid_from=date(2026, 11, 1), base_rate_bp=1000, no_gift_rate_bp=0,
            crowdfunding_rate_bp=0, mailing_unit_price=0, mailing_in_base=True,
            tax_rate_percent=10, by_user=november["staff"],
        )  # fmt: skip
    with pytest.raises(DomainError):
        records.add_advertisement(session, paid_on=date(2026, 11, 1), amount=100,
                                  description="x", by_user=november["staff"])  # fmt: skip


@pytest.mark.usefixtures("november")
def test_cli_writes_the_invoice_and_the_report(runner, session, tmp_path):
    result = runner.invoke(args=["invoice", NOVEMBER, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "invoice=INV2026-0001 total=34040"
    again = runner.invoke(args=["invoice", NOVEMBER, "--out", str(tmp_path)])
    assert again.output.strip().splitlines()[-1] == "invoice=INV2026-0001 total=34040"
    assert (tmp_path / "invoice-INV2026-0001.pdf").read_bytes().startswith(b"%PDF")

    result = runner.invoke(args=["monthly-report", NOVEMBER, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pdf, xlsx = tmp_path / "monthly-report-2026-11.pdf", tmp_path / "monthly-report-2026-11.xlsx"
    assert result.output.strip().splitlines()[-1] == f"report={NOVEMBER} pdf={pdf} xlsx={xlsx}"
    assert "93,579" in "".join(pdf_page_texts(pdf)).replace(" ", "")
    assert 93579 in documents.sheet_values(xlsx.read_bytes())
    assert report.get_report(session, NOVEMBER).state == ReportState.DRAFT
    bad = runner.invoke(args=["invoice", "2026-13", "--out", str(tmp_path)])
    assert bad.exit_code != 0 and "2026-10" in bad.output
