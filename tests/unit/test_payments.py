"""Statements on time and true, and the month's supplier and carrier payments: a month with
shipments, a corrected 送料, re-sends caused by the supplier, the operator and the carrier,
checked to the yen; the 全銀 transfer file; paid lines never change."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from portal.accounts.models import ShippingPayer
from portal.core.audit import AuditEntry
from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.roles import Role
from portal.payments import service as payments
from portal.payments import zengin
from portal.payments.models import PayeeKind, RunState
from portal.shipping import resends
from portal.shipping.carriers import Carrier
from portal.shipping.models import ResendCause
from portal.shipping.shipments import confirm_shipment, shipment_for
from portal.statements import service as statements
from portal.statements.models import LineKind, StatementState
from tests.conftest import jst, pdf_text

SEPTEMBER = {"paid_on": date(2026, 9, 1), "ship_by": date(2026, 9, 20)}


def tracking(seed: int) -> str:
    """A valid 12-digit ヤマト/佐川 number: the last digit is the first eleven modulo 7."""
    body = f"{40000000000 + seed:011d}"
    return body + str(int(body) % 7)


@pytest.fixture()
def month(session, make_supplier, make_gift, make_user, make_order, frozen_clock):
    frozen_clock.freeze(jst(2026, 11, 10, 10, 0))
    staff = make_user(Role.OPERATOR)
    farm = make_supplier(
        code="S001", name="山田農園", bank_code="0169", branch_code="001",
        bank_account_type="普通", bank_account_number="1234567",
        bank_account_holder_kana="ﾔﾏﾀﾞﾉｳｴﾝ",
    )  # fmt: skip
    tea = make_supplier(
        code="S002", name="茶舗みどり", bank_code="0001", branch_code="001",
        bank_account_type="当座", bank_account_number="7654321",
        bank_account_holder_kana="ｶ)ﾁﾔﾎﾐﾄﾞﾘ", shipping_paid_by=ShippingPayer.OPERATOR,
    )  # fmt: skip
    rice = make_gift(farm, procurement_cost=3000, shipping_fee=1200)
    beef = make_gift(farm, procurement_cost=9000, shipping_fee=1500)
    leaf = make_gift(tea, procurement_cost=2000, shipping_fee=800)
    seq = iter(range(1, 100))

    def ship(gift, quantity, day, carrier=Carrier.YAMATO):
        order = make_order(gift, quantity=quantity, **SEPTEMBER)
        confirm_shipment(session, order, carrier, tracking(next(seq)), day, None)
        return order

    def resend(order, cause, day, carrier=Carrier.YAMATO, **kw):
        return resends.record_resend(
            session, order, cause=cause, carrier=carrier, tracking=tracking(next(seq)),
            shipped_on=day, by_user=staff, **kw,
        )  # fmt: skip

    ship(rice, 2, date(2026, 10, 1))  # 送料 2,400 (1,200 × 2)
    boxed = ship(rice, 1, date(2026, 10, 5), Carrier.OTHER)
    resends.correct_fee(
        session, shipment_for(session, boxed), fee=1500, reason="クール便に変更", by_user=staff
    )
    steak = ship(beef, 1, date(2026, 10, 15))
    resend(steak, ResendCause.SUPPLIER, date(2026, 10, 20))  # 事業者の梱包ミス: its own cost
    resend(boxed, ResendCause.CARRIER, date(2026, 10, 25), shipping_fee=1300)  # 配送中の破損
    ship(beef, 1, date(2026, 11, 2))  # November: not October's
    green = ship(leaf, 3, date(2026, 10, 10), Carrier.SAGAWA)  # 2,400
    resend(green, ResendCause.OPERATOR, date(2026, 10, 12), Carrier.SAGAWA, quantity=1)
    resend(green, ResendCause.SUPPLIER, date(2026, 10, 14), Carrier.SAGAWA, quantity=1)
    session.flush()
    return {"staff": staff, "farm": farm, "tea": tea, "rice": rice, "beef": beef, "leaf": leaf,
            "user_farm": make_user(Role.SUPPLIER, supplier=farm),
            "user_tea": make_user(Role.SUPPLIER, supplier=tea)}  # fmt: skip


def _statements(session):
    return {st.supplier.code: st for st in statements.generate(session, "2026-10")}


def _lines(st):
    return {
        (ln.gift_id, ln.kind, ln.carrier, ln.resend_cause): (
            ln.count, ln.cost_total, ln.shipping_total, ln.billable, ln.payable
        )
        for ln in st.lines
    }  # fmt: skip


def test_statement_lines_carry_each_shipments_fee_and_the_resends_apart(session, month):
    sts = _statements(session)
    farm, tea = sts["S001"], sts["S002"]
    rice, beef, leaf = month["rice"].id, month["beef"].id, month["leaf"].id
    S, R = LineKind.SHIPMENT, LineKind.RESEND
    assert _lines(farm) == {
        (rice, S, "yamato", ""): (2, 6000, 2400, True, True),
        (rice, S, "other", ""): (1, 3000, 1500, True, True),  # the corrected 送料
        (beef, S, "yamato", ""): (1, 9000, 1500, True, True),
        (beef, R, "yamato", "supplier"): (1, 9000, 1500, False, False),
        (rice, R, "yamato", "carrier"): (1, 3000, 1300, True, True),
    }
    assert (farm.cost_total, farm.shipping_total, farm.total) == (21000, 6700, 27700)
    assert farm.billable_total == 27700  # the supplier's own re-send is neither billed nor paid
    assert farm.count_total == 4
    assert _lines(tea) == {
        (leaf, S, "sagawa", ""): (3, 6000, 2400, True, True),
        (leaf, R, "sagawa", "operator"): (1, 2000, 800, False, True),
        (leaf, R, "sagawa", "supplier"): (1, 2000, 800, False, False),
    }
    assert (tea.total, tea.billable_total) == (11200, 8400)


def test_fee_correction_needs_a_reason_and_staff_and_is_audited(session, month, make_order):
    order = make_order(month["rice"], **SEPTEMBER)
    confirm_shipment(session, order, Carrier.OTHER, "X10001", date(2026, 10, 3), None)
    parcel = shipment_for(session, order)
    assert parcel.shipping_fee == 1200  # from the gift when recorded
    with pytest.raises(DomainError) as err:
        resends.correct_fee(session, parcel, fee=1000, reason=" ", by_user=month["staff"])
    assert err.value.field == "reason"
    with pytest.raises(PermissionDenied):
        resends.correct_fee(session, parcel, fee=1000, reason="x", by_user=month["user_farm"])
    with pytest.raises(DomainError):
        resends.correct_fee(session, parcel, fee=-1, reason="x", by_user=month["staff"])
    resends.correct_fee(session, parcel, fee=1000, reason="料金表の誤り", by_user=month["staff"])
    entry = session.query(AuditEntry).filter_by(subject_id=str(parcel.id)).one()
    # The typed reason is kept on the parcel, which erasure reaches; never in the audit row,
    # which cannot be changed.
    assert (entry.action, entry.detail) == ("shipping_fee.correct", "1200→1000")
    assert parcel.fee_note == "料金表の誤り"


def test_a_resend_needs_a_shipped_order_and_a_cause(session, month, make_order):
    unshipped = make_order(month["rice"], **SEPTEMBER)
    with pytest.raises(DomainError):
        resends.record_resend(
            session, unshipped, cause="supplier", carrier="yamato", tracking=tracking(90),
            shipped_on=date(2026, 10, 9), by_user=month["staff"],
        )  # fmt: skip
    with pytest.raises(PermissionDenied):  # another supplier's order
        order = make_order(month["leaf"], shipped_on=date(2026, 10, 3), **SEPTEMBER)
        resends.record_resend(
            session, order, cause="supplier", carrier="yamato", tracking=tracking(91),
            shipped_on=date(2026, 10, 9), by_user=month["user_farm"],
        )  # fmt: skip
    order = make_order(month["rice"], shipped_on=date(2026, 10, 3), **SEPTEMBER)
    with pytest.raises(DomainError) as err:
        resends.record_resend(
            session, order, cause="nobody", carrier="yamato", tracking=tracking(92),
            shipped_on=date(2026, 10, 9), by_user=month["staff"],
        )  # fmt: skip
    assert err.value.field == "cause"


def _confirm_all(session, month, sts):
    statements.confirm(session, sts["S001"], by_user=month["user_farm"])
    statements.confirm(session, sts["S002"], by_user=month["user_tea"])


def test_the_payment_run_pays_suppliers_and_the_carrier_the_operator_pays(session, month):
    sts = _statements(session)
    statements.confirm(session, sts["S001"], by_user=month["user_farm"])
    run = payments.build_run(
        session, "2026-10", transfer_on=date(2026, 11, 25), by_user=month["staff"]
    )
    assert [ln.payee_code for ln in run.lines] == ["S001"]  # S002 has not confirmed yet
    statements.confirm(session, sts["S002"], by_user=month["user_tea"])
    run = payments.build_run(
        session, "2026-10", transfer_on=date(2026, 11, 25), by_user=month["staff"]
    )
    got = {
        (ln.payee_kind, ln.payee_code): (
            ln.cost_amount, ln.shipping_amount, ln.deduction_amount, ln.amount
        )
        for ln in run.lines
    }  # fmt: skip
    assert got == {
        (PayeeKind.SUPPLIER, "S001"): (21000, 6700, 0, 27700),  # pays its carrier itself
        # the operator pays 佐川: the supplier gets the gifts, less its own re-send's 送料
        (PayeeKind.SUPPLIER, "S002"): (8000, 0, 800, 7200),
        (PayeeKind.CARRIER, "sagawa"): (0, 4000, 0, 4000),
    }
    assert (run.supplier_total, run.total) == (34900, 38900)
    farm = payments.supplier_line(run, month["farm"].id)
    assert (farm.bank_name, farm.branch_name) == ("広島", "本店営業部")


def test_the_transfer_file_is_120_byte_records_whose_trailer_matches(session, month):
    _confirm_all(session, month, _statements(session))
    run = payments.build_run(
        session, "2026-10", transfer_on=date(2026, 11, 25), by_user=month["staff"]
    )
    remitter = zengin.Remitter("1234567890", "ｼｮｳﾊﾞﾗｼ", "0169", "001", "1", "7777777")
    raw = payments.transfer_file(session, run, remitter, by_user=month["staff"])
    records = raw.split(b"\r\n")
    assert records[-1] == b"" and all(len(r) == 120 for r in records[:-1])
    assert [r[:1] for r in records[:-1]] == [b"1", b"2", b"2", b"8", b"9"]
    header, farm, tea, trailer = records[0], records[1], records[2], records[3]
    assert header[:4] == b"1210" and header[4:14] == b"1234567890" and header[54:58] == b"1125"
    assert (
        farm[1:5] == b"0169"
        and farm[20:23] == b"001"
        and farm[42:43] == b"1"
        and farm[43:50] == b"1234567"
    )
    assert farm[50:80].decode("cp932").rstrip() == "ﾔﾏﾀﾞﾉｳｴﾝ"
    assert farm[5:20].decode("cp932").rstrip() == "ﾋﾛｼﾏ"
    assert farm[80:90] == b"0000027700" and tea[80:90] == b"0000007200"
    assert tea[42:43] == b"2"  # 当座
    assert trailer[1:7] == b"000002" and trailer[7:19] == b"000000034900"
    parsed = zengin.parse_transfer_file(raw)
    assert parsed.trailer_total == parsed.data_total == 34900 and parsed.trailer_count == 2
    assert session.query(AuditEntry).filter_by(action="payment_run.transfer_file").count() == 1


def test_a_supplier_without_an_account_stops_the_file(session, month):
    month["tea"].bank_account_number = ""
    _confirm_all(session, month, _statements(session))
    run = payments.build_run(
        session, "2026-10", transfer_on=date(2026, 11, 25), by_user=month["staff"]
    )
    remitter = zengin.Remitter("1", "ｼｮｳﾊﾞﾗｼ", "0169", "001", "1", "7777777")
    with pytest.raises(DomainError) as err:
        payments.transfer_file(session, run, remitter, by_user=month["staff"])
    assert "茶舗みどり" in str(err.value.message)


def test_a_paid_line_cannot_change_and_is_corrected_next_month(session, month):
    sts = _statements(session)
    _confirm_all(session, month, sts)
    run = payments.build_run(
        session, "2026-10", transfer_on=date(2026, 11, 25), by_user=month["staff"]
    )
    with pytest.raises(DomainError):
        payments.mark_paid(session, run, paid_on=None, by_user=month["staff"])
    with pytest.raises(PermissionDenied):
        payments.mark_paid(session, run, paid_on=date(2026, 11, 25), by_user=month["user_farm"])
    payments.mark_paid(session, run, paid_on=date(2026, 11, 25), by_user=month["staff"])
    assert run.state == RunState.PAID
    payments.mark_paid(session, run, paid_on=date(2026, 11, 25), by_user=month["staff"])  # twice
    farm = sts["S001"]
    line = farm.lines[0]
    assert line.is_paid and farm.is_paid
    with pytest.raises(Conflict) as err:
        statements.correct_line(
            session, farm, line, count=9, unit_cost=1, unit_shipping=1, note="x",
            by_user=month["staff"],
        )  # fmt: skip
    assert "支払済み" in str(err.value.message)
    with pytest.raises(Conflict):
        payments.build_run(
            session, "2026-10", transfer_on=date(2026, 11, 26), by_user=month["staff"]
        )
    # The correction: an adjustment line on November's statement, paid in November's run.
    adj = payments.add_adjustment(
        session, line, cost_delta=-3000, shipping_delta=0, note="1箱は欠品でした",
        by_user=month["staff"],
    )  # fmt: skip
    november = adj.statement
    assert (november.month, november.state, adj.kind) == (
        "2026-11",
        StatementState.OPEN,
        "adjustment",
    )
    assert adj.adjusts_line_id == line.id and november.total == -3000
    # November's shipments still arrive on that statement when it is generated.
    frozen = statements.generate(session, "2026-11")
    assert november in frozen
    assert november.total == 9000 + 1500 - 3000


@pytest.mark.usefixtures("month")
def test_the_closed_month_job_generates_last_month_once(session):
    created = statements.generate_closed_month(session, date(2026, 11, 1))
    assert {st.month for st in created} == {"2026-10"} and len(created) == 2
    assert statements.generate_closed_month(session, date(2026, 11, 2)) == []
    assert statements.previous_month(date(2027, 1, 1)) == "2026-12"


def test_zengin_kana_and_codes():
    assert zengin.to_zengin_kana("ヤマダ　タロウ") == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert zengin.to_zengin_kana("かぶしきがいしゃ　ちゃほ") == "ｶﾌﾞｼｷｶﾞｲｼﾔ ﾁﾔﾎ"
    assert zengin.to_zengin_kana("ｶ)ﾁｬﾎ ﾐﾄﾞﾘ") == "ｶ)ﾁﾔﾎ ﾐﾄﾞﾘ"
    with pytest.raises(DomainError):
        zengin.to_zengin_kana("山田")
    found = zengin.lookup("０１６９", "001")
    assert (found.bank_name, found.branch_name, found.bank_kana) == ("広島", "本店営業部", "ﾋﾛｼﾏ")
    for bank, branch, field in (("169", "001", "bank_code"), ("0169", "1", "branch_code"),
                                ("9998", "001", "bank_code"), ("0169", "999", "branch_code")):  # fmt: skip
        with pytest.raises(DomainError) as err:
            zengin.lookup(bank, branch)
        assert err.value.field == field


@pytest.mark.usefixtures("month")
def test_the_worker_schedules_the_statement_job(app, session, monkeypatch):
    from datetime import datetime

    from huey import MemoryHuey

    from portal.core import jobs
    from portal.statements import jobs as statement_jobs

    monkeypatch.setitem(app.extensions, "huey", MemoryHuey("h7-test", immediate=True))
    monkeypatch.setitem(app.extensions, "huey_tasks", {})
    huey = jobs.register_all(app)
    name = "portal.statements.jobs.generate_closed_month"
    (task,) = [t() for t in huey._registry._periodic_tasks if t.__name__ == name]
    # huey's crontab is UTC: 16:05 UTC is 01:05 JST, and only that minute of the day runs it.
    assert task.validate_datetime(datetime(2026, 10, 31, 16, 5))
    assert not task.validate_datetime(datetime(2026, 11, 1, 1, 5))
    assert statement_jobs.generate_closed_month(session) == 2  # frozen on 10 November: October
    assert statement_jobs.generate_closed_month(session) == 0


def test_the_cli_writes_the_file_and_one_advice_per_supplier(session, month, runner, tmp_path):
    _confirm_all(session, month, _statements(session))
    result = runner.invoke(args=["payments", "run", "2026-10", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "suppliers=2 total=34900"
    assert "carrier sagawa amount=4000" in result.output
    raw = (tmp_path / "sogofurikomi-2026-10.txt").read_bytes()
    parsed = zengin.parse_transfer_file(raw)
    assert parsed.trailer_total == 34900 and parsed.header[54:58] == b"1125"  # 25 November
    text = pdf_text(tmp_path / "shiharai-tsuchi-2026-10-S001.pdf")
    assert "支払通知書" in text and "山田農園" in text and "27,700円" in text
    assert "対象外" in text  # its own re-send, listed but not paid
    tea = pdf_text(tmp_path / "shiharai-tsuchi-2026-10-S002.pdf")
    assert "7,200円" in tea and "配送事業者へ直接" in tea
    again = runner.invoke(args=["payments", "run", "2026-10", "--out", str(tmp_path)])
    assert again.output.strip().splitlines()[-1] == "suppliers=2 total=34900"  # rebuilt, same


def test_the_cli_refuses_a_bad_month(runner, tmp_path):
    result = runner.invoke(args=["payments", "run", "2026-13", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "2026-10" in result.output


def test_the_csv_says_which_lines_the_city_is_billed_for(session, month):
    _statements(session)
    rows = list(
        csv.DictReader(
            io.StringIO(
                statements.statements_csv(session, "2026-10", by_user=month["staff"]).decode(
                    "utf-8-sig"
                )
            )
        )
    )
    resends = [
        (r["再送の理由"], r["市への請求"], r["事業者への支払"]) for r in rows if r["区分"] == "再送"
    ]
    assert sorted(resends) == [
        ("事業者の責", "対象外", "対象外"),
        ("事業者の責", "対象外", "対象外"),
        ("運営事務局の責", "対象外", "対象"),
        ("配送事故", "対象", "対象"),
    ]


def test_an_open_line_is_corrected_in_place_not_by_an_adjustment(session, month):
    sts = _statements(session)
    line = sts["S001"].lines[0]
    with pytest.raises(DomainError):
        payments.add_adjustment(
            session, line, cost_delta=-1, shipping_delta=0, note="x", by_user=month["staff"]
        )
    statements.confirm(session, sts["S001"], by_user=month["user_farm"])  # locked, not paid
    adj = payments.add_adjustment(
        session, line, cost_delta=0, shipping_delta=-200, note="送料の割引", by_user=month["staff"]
    )
    assert (adj.statement.month, adj.shipping_total, adj.payable) == ("2026-11", -200, True)
