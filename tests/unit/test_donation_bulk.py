"""The bulk import path: same outcome as creating donations one by one, exact stock per
(gift, portal) group, gap-free numbers per chunk, a failing chunk redone donation by donation,
streamed files, and (PostgreSQL) two imports racing for the last units."""

from __future__ import annotations

import io
import threading
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.portals import Portal
from portal.core.timeline import TimelineEvent, events_for
from portal.donations import bulk
from portal.donations.importers import engine, import_file
from portal.donations.lifecycle import DonationData, LineData, create_donation
from portal.donations.models import Donation, DonationLine, LineHold, PaymentMethod, PaymentState
from portal.gifts.models import Gift
from portal.gifts.stock import GiftAllocation, StockLedger, set_allocation
from portal.shipping.models import Order

HEADER = (
    "受付番号,寄附日,入金日,決済方法,寄附金額,氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,"
    "返礼品コード,数量,配送先氏名,配送先郵便番号,配送先住所,配送先電話番号,寄附使途,ワンストップ希望,"
    "受領証明書要否,氏名公表,応援メッセージ"
)


def _row(no: str, code: str, *, qty: int = 1, day: str = "2026/12/01", paid: str = "") -> str:
    return (
        f"{no},{day},{paid},クレジットカード,30000,庄原 太郎,ショウバラ タロウ,7270011,"
        f"広島県庄原市東本町1-1,0824-72-1111,t@example.jp,{code},{qty},,,,,市長におまかせ,"
        "する,要,しない,"
    )


def _csv(*rows: str) -> bytes:
    return "\r\n".join([HEADER, *rows]).encode("cp932")


def _data(no: str, codes: list[tuple[str, int]], **kw) -> DonationData:
    values = dict(
        portal=Portal.SATOFULL,
        portal_order_no=no,
        donor_name="庄原 花子",
        amount=30000,
        applied_on=date(2026, 12, 1),
        payment_method=PaymentMethod.CARD,
        lines=[LineData(gift_code=c, quantity=q) for c, q in codes],
    )
    values.update(kw)
    return DonationData(**values)


def _snapshot(session, donation: Donation) -> dict:
    events = [
        (e.kind, e.public, {k: v for k, v in e.data.items() if k not in ("line_id", "order_id")})
        for e in events_for(session, "donation", donation.id)
    ]
    return {
        "state": donation.state,
        "received_on": donation.received_on,
        "lines": [
            (
                ln.gift.code,
                ln.quantity,
                ln.hold,
                ln.stock_taken,
                [(o.supplier_id, o.ship_by) for o in ln.orders],
            )
            for ln in donation.lines
        ],
        "events": events,
    }


@pytest.mark.usefixtures("make_supplier")
def test_bulk_writes_what_create_donation_writes(session, make_gift):
    seasonal = make_gift(ship_from=date(2027, 1, 10), ship_until=date(2027, 2, 28))
    limited = make_gift()
    closed = make_gift(accept_until=date(2026, 11, 30))
    plain = make_gift(lead_days=7)
    set_allocation(session, limited.id, "satofull", 3)
    set_allocation(session, limited.id, "choice", 3)
    specs = [
        ([(seasonal.code, 1), (plain.code, 2)], PaymentState.PAID),
        ([(limited.code, 2)], PaymentState.PAID),
        ([(limited.code, 2), (closed.code, 1)], PaymentState.PAID),  # 1 left: held; window
        ([(limited.code, 1)], PaymentState.UNPAID),  # the last unit still fits
        ([], PaymentState.PAID),
    ]

    def items(prefix: str) -> list[DonationData]:
        return [
            _data(
                f"{prefix}-{i}",
                codes,
                payment_state=state,
                paid_on=date(2026, 12, 3) if state == PaymentState.PAID else None,
            )
            for i, (codes, state) in enumerate(specs)
        ]

    one_by_one = [create_donation(session, d) for d in items("A")]
    set_allocation(session, limited.id, "satofull", 3)  # same stock again for the bulk run
    ids = bulk.create_donations(session, items("B"))
    session.expire_all()
    in_bulk = [session.get(Donation, i) for i in ids]
    assert [_snapshot(session, d) for d in in_bulk] == [_snapshot(session, d) for d in one_by_one]
    assert [d.lines[0].hold for d in in_bulk[1:4]] == [LineHold.NONE, LineHold.STOCK, LineHold.NONE]
    assert in_bulk[2].lines[1].hold == LineHold.WINDOW
    # numbers continue gap-free after the one-by-one ones
    assert [d.donation_no for d in in_bulk] == [f"2026-{n:06d}" for n in range(6, 11)]
    # ledger: one "take" row per taken line with the allocation stepping down 3 → 1 → 0
    takes = session.execute(
        sa.select(StockLedger.before, StockLedger.after)
        .where(StockLedger.donation_line_id.in_([ln.id for d in in_bulk for ln in d.lines]))
        .order_by(StockLedger.id)
    ).all()
    assert takes == [(3, 1), (1, 0)]
    assert (
        session.scalar(
            sa.select(GiftAllocation.remaining).where(
                GiftAllocation.gift_id == limited.id, GiftAllocation.portal == "satofull"
            )
        )
        == 0
    )


def test_group_take_never_oversells_and_keeps_file_order(session, make_gift):
    gift = make_gift(code="LIM-1")
    set_allocation(session, gift.id, "standard", 5)
    rows = [
        _row("S-1", "LIM-1", qty=2),
        _row("S-2", "LIM-1", qty=2),
        _row("S-3", "LIM-1", qty=2),
        _row("S-4", "LIM-1", qty=1),
    ]
    result = import_file(session, "standard", _csv(*rows))
    assert result.new == 4
    holds = session.execute(
        sa.select(Donation.portal_order_no, DonationLine.hold)
        .join(DonationLine)
        .order_by(Donation.portal_order_no)
    ).all()
    # as one-by-one: 2 + 2 fit, the third pair does not, the single unit still does
    assert [h for _, h in holds] == [LineHold.NONE, LineHold.NONE, LineHold.STOCK, LineHold.NONE]
    assert session.scalar(sa.select(GiftAllocation.remaining)) == 0


def test_numbers_are_gap_free_across_chunks_and_years(session, make_gift):
    make_gift(code="UN-1")
    rows = [_row(f"N-{i}", "UN-1", day="2026/12/31" if i % 2 else "2027/01/01") for i in range(7)]
    result = import_file(session, "standard", _csv(*rows), batch=3)
    assert result.new == 7
    numbers = session.scalars(sa.select(Donation.donation_no).order_by(Donation.donation_no)).all()
    assert numbers == [
        "2026-000001",
        "2026-000002",
        "2026-000003",
        "2027-000001",
        "2027-000002",
        "2027-000003",
        "2027-000004",
    ]


def test_an_order_repeated_later_in_the_same_chunk_is_unchanged_not_doubled(session, make_gift):
    make_gift(code="UN-1")
    make_gift(code="UN-2")
    rows = [_row("D-1", "UN-1"), _row("D-2", "UN-1"), _row("D-1", "UN-1")]
    result = import_file(session, "standard", _csv(*rows))
    assert result.summary() == "new=2 updated=0 unchanged=1 rejected=0 conflicts=0"
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 2


def test_a_chunk_that_fails_is_redone_one_by_one(session, make_gift, monkeypatch):
    """Another import writes D-2 after our lookup, just before our chunk's savepoint: the bulk
    insert hits the unique key, the chunk is redone donation by donation, only D-2 rejected."""
    make_gift(code="UN-1")
    begin_nested = session.begin_nested
    raced: list[bool] = []

    def racer_first():
        if not raced:
            raced.append(True)
            create_donation(session, _data("D-2", [("UN-1", 1)], portal=Portal.STANDARD))
        return begin_nested()

    monkeypatch.setattr(session, "begin_nested", racer_first)
    result = import_file(
        session, "standard", _csv(_row("D-1", "UN-1"), _row("D-2", "UN-1"), _row("D-3", "UN-1"))
    )
    assert result.summary() == "new=2 updated=0 unchanged=0 rejected=1 conflicts=0"
    assert str(result.rejected[0].reason) == "データベースに保存できませんでした。"
    assert result.rejected[0].line == 3
    orders = session.scalars(sa.select(Donation.portal_order_no).order_by(Donation.id)).all()
    assert orders == ["D-2", "D-1", "D-3"]
    # the failed bulk attempt left nothing behind: each donation has its one line, one event set
    assert session.scalar(sa.select(sa.func.count()).select_from(DonationLine)) == 3
    received = session.scalar(
        sa.select(sa.func.count())
        .select_from(TimelineEvent)
        .where(TimelineEvent.kind == "donation.received")
    )
    assert received == 3


def test_streams_a_file_from_disk_with_a_character_cut_at_the_sniff_boundary(
    session, make_gift, tmp_path
):
    make_gift(code="UN-1")
    rows = [_row(f"L-{i:05d}", "UN-1") for i in range(700)]  # > 64 KiB of CP932
    path = tmp_path / "big.csv"
    path.write_bytes(_csv(*rows))
    assert path.stat().st_size > 65536
    seen = []
    result = import_file(
        session, "standard", path, batch=250, progress=lambda p: seen.append(p.done_bytes)
    )
    assert result.summary() == "new=700 updated=0 unchanged=0 rejected=0 conflicts=0"
    assert seen[-1] == path.stat().st_size and seen == sorted(seen) and len(seen) >= 3
    taro = session.scalar(sa.select(Donation).where(Donation.portal_order_no == "L-00699"))
    assert taro.donor_name == "庄原 太郎" and taro.address == "広島県庄原市東本町1-1"
    again = import_file(session, "standard", io.BytesIO(path.read_bytes()))
    assert again.summary() == "new=0 updated=0 unchanged=700 rejected=0 conflicts=0"


@pytest.mark.usefixtures("postgres_only")
def test_two_imports_race_for_the_last_units(committed, make_gift, tmp_path):
    """PostgreSQL: two imports of different donations for a gift with 7 units left, in
    parallel: exactly 7 units are taken, the rest of the lines are held, nothing oversold."""
    from portal.extensions import db

    gift = make_gift(code="RACE-1")
    set_allocation(db.session, gift.id, "standard", 7)
    db.session.commit()
    files = []
    for side in ("A", "B"):
        path = tmp_path / f"{side}.csv"
        path.write_bytes(_csv(*[_row(f"{side}-{i:03d}", "RACE-1") for i in range(40)]))
        files.append(path)
    app = committed
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(path: Path) -> None:
        try:
            with app.app_context(), sa.orm.Session(db.engine) as s:
                barrier.wait()
                import_file(s, "standard", path, commit=s.commit, batch=5)
                s.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sa.orm.Session(db.engine) as s:
        holds = s.scalars(sa.select(DonationLine.hold)).all()
        assert len(holds) == 80
        assert holds.count(LineHold.NONE) == 7
        assert holds.count(LineHold.STOCK) == 73
        assert s.scalar(sa.select(GiftAllocation.remaining)) == 0
        assert (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(StockLedger)
                .where(StockLedger.reason == "take")
            )
            == 7
        )
        numbers = s.scalars(sa.select(Donation.donation_no).order_by(Donation.donation_no)).all()
        assert numbers == [f"2026-{n:06d}" for n in range(1, 81)]  # gap-free under the race
        assert s.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


@pytest.mark.parametrize("path", ["bulk", "one_by_one"])
def test_rakuten_rms_file_through_either_path(session, make_gift, monkeypatch, path):
    """The RMS 受注CSV through the bulk insert, and through the donation-by-donation redo
    (the bulk insert failing): the same donations, and the cancelled order's stock back."""
    for code in ("HB-001", "HJ-002", "BD-001"):
        make_gift(code=code)
    hb = session.scalar(sa.select(Gift).where(Gift.code == "HB-001"))
    set_allocation(session, hb.id, "rakuten", 5)
    if path == "one_by_one":

        def failing(*_args, **_kwargs):
            raise sa.exc.OperationalError("INSERT", {}, Exception("forced"))

        monkeypatch.setattr(engine, "create_donations", failing)
    data = (Path(__file__).parent.parent / "fixtures" / "imports" / "rakuten.csv").read_bytes()
    result = import_file(session, "rakuten", data, batch=2)
    assert result.summary() == "new=4 updated=0 unchanged=0 rejected=0 conflicts=0"
    rows = session.execute(
        sa.select(Donation.portal_order_no, Donation.amount, Donation.state).order_by(Donation.id)
    ).all()
    assert [(no[-1], amount, state.value) for no, amount, state in rows] == [
        ("1", 12000, "paid"),
        ("2", 10000, "received"),
        ("3", 20000, "cancelled"),
        ("4", 10000, "paid"),
    ]
    cancelled = session.scalar(sa.select(Donation).where(Donation.state == "cancelled"))
    assert [(ln.hold, ln.stock_taken) for ln in cancelled.lines] == [
        (LineHold.CANCELLED, False),
        (LineHold.CANCELLED, False),
    ]
    remaining = session.scalar(
        sa.select(GiftAllocation.remaining).where(
            GiftAllocation.gift_id == hb.id, GiftAllocation.portal == "rakuten"
        )
    )
    assert remaining == 3  # 5 − 山内 − 田中; 佐藤's unit went back at キャンセル確定
    kinds = [e.kind for e in events_for(session, "donation", cancelled.id)]
    assert "donation.cancelled" in kinds


@pytest.mark.usefixtures("postgres_only")
def test_existing_orders_are_probed_key_by_key_however_stale_the_statistics(session, make_gift):
    """PostgreSQL: each chunk asks which of its order numbers exist. On statistics that lag
    behind a big import (here: analysed while empty), a join from the list of keys was planned
    as a hash over every donation of the portal, so each chunk cost more than the last; the
    lookup must stay one index probe per key."""
    make_gift(code="ST-1")
    session.execute(sa.text("ANALYZE donation"))
    import_file(session, "standard", _csv(*[_row(f"S-{i:05d}", "ST-1") for i in range(3000)]))
    keys = [f"S-{i:05d}" for i in range(2000, 3000)] + [f"T-{i:05d}" for i in range(1000)]
    query = engine._existing_query(session, Portal.STANDARD, keys)
    compiled = query.compile(dialect=session.get_bind().dialect)
    explained = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
    plan = "\n".join(explained.scalars())
    assert "Hash" not in plan and "Seq Scan on donation" not in plan, plan
    assert "Index Cond: ((portal_order_no)::text = (k.no)::text)" in plan, plan
    found = {d.portal_order_no for d in session.scalars(query)}
    assert found == {f"S-{i:05d}" for i in range(2000, 3000)}
