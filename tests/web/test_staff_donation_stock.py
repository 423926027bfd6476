"""Staff screens added in session 2: import job progress, the upload limit, the stock page,
substitution with consent, and the dashboard alert."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.dates import today_jst
from portal.core.jobs import JobRun, JobState
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.donations.lifecycle import DonationData, LineData, create_donation
from portal.donations.models import Donation, LineHold, PaymentMethod, PaymentState
from portal.donations.substitution import LineSubstitution
from portal.gifts.models import GiftStatus
from portal.gifts.stock import GiftAllocation, StockLedger, set_allocation

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


def _held_donation(session, gift, portal=Portal.CHOICE):
    applied = today_jst() - timedelta(days=2)
    return create_donation(
        session,
        DonationData(
            portal=portal,
            portal_order_no="H-1",
            donor_name="比婆 一郎",
            amount=20000,
            applied_on=applied,
            payment_method=PaymentMethod.CARD,
            payment_state=PaymentState.PAID,
            paid_on=applied,
            lines=[LineData(gift.code)],
        ),
    )


@pytest.mark.usefixtures("app")
def test_import_runs_as_a_job_with_its_result_kept(session, login, make_user, make_gift):
    for code in ("HB-001", "HJ-002", "BD-001"):
        make_gift(code=code)
    user = make_user(Role.OPERATOR)
    client = login(user)
    data = (FIXTURES / "standard.csv").read_bytes()
    preview = client.post(
        "/staff/donations/import",
        data={"portal": "standard", "file": (io.BytesIO(data), "standard.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    # redirect after POST: Back never offers to send the file again
    assert [r.status_code for r in preview.history] == [303]
    assert preview.status_code == 200
    run = session.scalar(sa.select(JobRun).order_by(JobRun.id.desc()))
    assert run.kind == "donation_import" and run.state == JobState.DONE
    assert run.progress == run.total == len(data)
    assert run.result["phase"] == "preview" and run.result["rejected_count"] == 2
    assert "庄原" not in str(run.result)  # no donor data kept in the job row
    # the job page shows the same result later
    page = client.get(f"/staff/donations/import/jobs/{run.id}")
    assert "返礼品コード ZZ-999 は登録されていません。" in page.get_data(as_text=True)
    token = run.result["token"]
    applied = client.post(
        "/staff/donations/import/apply",
        data={"token": token, "portal": "standard"},
        follow_redirects=True,
    )
    assert [r.status_code for r in applied.history] == [303]
    assert applied.status_code == 200
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 3
    # a second click on 取り込む shows the job already run instead of importing again
    again = client.post(
        "/staff/donations/import/apply", data={"token": token, "portal": "standard"}
    )
    assert again.status_code == 303 and "/import/jobs/" in again.headers["Location"]


@pytest.mark.usefixtures("app")
def test_a_running_job_is_polled_until_done(session, login, make_user):
    user = make_user(Role.OPERATOR)
    client = login(user)
    run = JobRun(kind="donation_import", created_by_id=user.id, total=1000, progress=250)
    run.state = JobState.RUNNING
    run.result = {"token": "x" * 43, "portal": "choice", "phase": "apply"}
    session.add(run)
    session.flush()
    page = client.get(f"/staff/donations/import/jobs/{run.id}").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in page and "25%" in page
    run.state = JobState.DONE
    run.result = {
        **run.result,
        "new": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected_count": 0,
        "conflict_count": 0,
        "rejected": [],
        "conflicts": [],
        "summary": "new=1",
    }
    session.flush()
    poll = client.get(f"/staff/donations/import/jobs/{run.id}", headers={"HX-Request": "true"})
    assert poll.headers.get("HX-Redirect", "").endswith(f"/staff/donations/import/jobs/{run.id}")


def test_upload_over_the_limit_gets_a_clear_error(app, login, make_user):
    client = login(make_user(Role.OPERATOR))
    app.config["IMPORT_MAX_MB"] = 1
    try:
        body = (  # a prepared body: the test client would spool a big one to a temp file
            b'--B\r\nContent-Disposition: form-data; name="portal"\r\n\r\nstandard\r\n'
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
            + b"x" * (1024 * 1024 + 10)
            + b"\r\n--B--\r\n"
        )
        response = client.post(
            "/staff/donations/import", data=body, content_type="multipart/form-data; boundary=B"
        )
    finally:
        app.config.pop("IMPORT_MAX_MB")
    assert response.status_code == 413
    assert "ファイルが大きすぎます（上限 1 MB）" in response.get_data(as_text=True)


def test_stock_page_thresholds_move_and_pause(session, login, make_user, make_gift):
    gift = make_gift(code="STK-1", name="比婆牛ロース")
    set_allocation(session, gift.id, "choice", 0)
    set_allocation(session, gift.id, "rakuten", 10)
    client = login(make_user(Role.OPERATOR))
    assert "在庫・掲載の要対応" in client.get("/staff/").get_data(as_text=True)
    page = client.get("/staff/donations/stock").get_data(as_text=True)
    assert "比婆牛ロース" in page and "掲載を止めるポータル" in page and "割当が0" in page
    client.post(
        f"/staff/donations/stock/{gift.id}/thresholds",
        data={"total": "20", "portal-rakuten": "12", "portal-choice": "0"},
    )
    session.expire_all()
    assert gift.low_stock_threshold == 20
    client.post(
        f"/staff/donations/stock/{gift.id}/move",
        data={
            f"g{gift.id}-from_portal": "rakuten",
            f"g{gift.id}-to_portal": "choice",
            f"g{gift.id}-quantity": "4",
        },
    )
    remaining = dict(
        session.execute(sa.select(GiftAllocation.portal, GiftAllocation.remaining)).all()
    )
    assert remaining == {"choice": 4, "rakuten": 6}
    refused = client.post(
        f"/staff/donations/stock/{gift.id}/pause", data={"paused": "1"}, follow_redirects=True
    )
    assert "停止の理由を入力してください。" in refused.get_data(as_text=True)
    client.post(
        f"/staff/donations/stock/{gift.id}/pause",
        data={"paused": "1", f"g{gift.id}-reason": "品質確認"},
    )
    session.expire_all()
    assert gift.stock_paused and gift.stock_paused_reason == "品質確認"
    assert "受付停止中" in client.get("/staff/donations/stock").get_data(as_text=True)


def test_city_staff_see_stock_but_cannot_change_it(session, login, make_user, make_gift):
    gift = make_gift()
    set_allocation(session, gift.id, "choice", 0)
    client = login(make_user(Role.CITY))
    page = client.get("/staff/donations/stock")
    assert page.status_code == 200 and "しきい値を保存" not in page.get_data(as_text=True)
    assert (
        client.post(f"/staff/donations/stock/{gift.id}/thresholds", data={"total": "5"}).status_code
        == 403
    )


def test_substitute_from_the_held_queue(session, login, make_user, make_gift):
    sold_out = make_gift(required_amount=20000)
    set_allocation(session, sold_out.id, "choice", 0)
    substitute = make_gift(code="SUB-1", required_amount=15000)
    set_allocation(session, substitute.id, "choice", 3)
    d = _held_donation(session, sold_out)
    line = d.lines[0]
    assert line.hold == LineHold.STOCK
    client = login(make_user(Role.OPERATOR))
    assert f"/staff/donations/lines/{line.id}/substitute" in client.get(
        "/staff/donations/held"
    ).get_data(as_text=True)
    form = client.get(f"/staff/donations/lines/{line.id}/substitute?gift=SUB-1").get_data(
        as_text=True
    )
    assert "SUB-1" in form
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) >= 1
    bad = client.post(
        f"/staff/donations/lines/{line.id}/substitute",
        data={"gift_code": "NOPE-9", "consent_via": "phone", "consent_on": today_jst().isoformat()},
    )
    assert bad.status_code == 200 and "返礼品コード NOPE-9 は登録されていません。" in bad.get_data(
        as_text=True
    )
    done = client.post(
        f"/staff/donations/lines/{line.id}/substitute",
        data={
            "gift_code": "ＳＵＢ－１",
            "consent_via": "phone",
            "consent_on": today_jst().isoformat(),
            "note": "電話で了承",
        },
    )
    assert done.status_code == 303
    session.expire_all()
    assert line.gift_id == substitute.id and line.hold == LineHold.NONE and len(line.orders) == 1
    assert session.scalar(sa.select(LineSubstitution.note)) == "電話で了承"
    detail = client.get(f"/staff/donations/{d.id}").get_data(as_text=True)
    assert "寄附者の同意を得て返礼品を代替品に変更しました" in detail and "電話で同意" in detail


def test_pausing_from_the_stock_page_writes_a_ledger_row(session, login, make_user, make_gift):
    gift = make_gift(code="STK-2")
    set_allocation(session, gift.id, "choice", 7)
    user = make_user(Role.OPERATOR)
    client = login(user)
    client.post(
        f"/staff/donations/stock/{gift.id}/pause",
        data={"paused": "1", f"g{gift.id}-reason": "台風で出荷停止"},
    )
    client.post(f"/staff/donations/stock/{gift.id}/pause", data={"paused": "0"})
    rows = session.execute(
        sa.select(
            StockLedger.reason,
            StockLedger.before,
            StockLedger.after,
            StockLedger.note,
            StockLedger.by_user_id,
        )
        .where(StockLedger.gift_id == gift.id, StockLedger.reason.in_(["pause", "unpause"]))
        .order_by(StockLedger.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("pause", 7, 7, "台風で出荷停止", user.id),
        ("unpause", 7, 7, "", user.id),
    ]


def test_the_held_queue_lists_the_same_listings_to_close_as_the_stock_page(
    session, login, make_user, make_gift
):
    """Low is not closed: a portal at its threshold but not empty stays listed."""
    gift = make_gift(code="CLS-1", name="庄原りんご")
    set_allocation(session, gift.id, "choice", 0)
    set_allocation(session, gift.id, "rakuten", 3, low_threshold=5)
    draft = make_gift(code="CLS-2", name="準備中の返礼品", status=GiftStatus.DRAFT)
    set_allocation(session, draft.id, "choice", 0)
    client = login(make_user(Role.OPERATOR))
    held = client.get("/staff/donations/held").get_data(as_text=True)
    table = held[held.index("掲載を止めるべきポータル") :]
    assert "CLS-1" in table and "ふるさとチョイス" in table and "割当が0" in table
    assert "楽天ふるさと納税" not in table  # low, not empty: the stock page warns, not closes
    assert "CLS-2" not in table  # not listed, so nothing to take down
    stock = client.get("/staff/donations/stock").get_data(as_text=True)
    assert "掲載を止めるポータル" in stock and "残りが少ない" in stock


def test_supplier_stock_page_does_not_call_an_unlimited_gift_out_of_stock(
    client, login, make_user, make_gift
):
    gift = make_gift(name="限定なしの返礼品")
    login(make_user(Role.SUPPLIER, supplier=gift.supplier))
    page = client.get("/supplier/stock").get_data(as_text=True)
    assert "限定なしの返礼品" in page and "在庫なし" not in page
