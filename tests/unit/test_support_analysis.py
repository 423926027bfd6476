import io
from datetime import datetime

from openpyxl import load_workbook

from portal.core.dates import JST
from portal.core.roles import Role
from portal.support import analysis
from portal.support import conversations as uc
from portal.support.models import Category, Channel, ConversationStatus, CustomerKind


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def test_monthly_figures_in_desk_hours(session, make_supplier, make_user) -> None:
    staff = make_user(Role.OPERATOR, name="受付 花子")
    s = make_supplier(name="比婆牛ファーム")
    # Friday 16:30 → answered Tuesday 9:30 (Monday 23rd is 勤労感謝の日): 30 + 30 desk minutes.
    a = uc.start_conversation(
        session,
        customer_kind=CustomerKind.SUPPLIER,
        supplier_id=s.id,
        body="質問",
        by_user=None,
        at=at("2026-11-20T16:30"),
        category=Category.DELIVERY,
    )
    uc.post_staff_message(session, a, "回答", by_user=staff, at=at("2026-11-24T09:30"))
    b = uc.start_conversation(
        session,
        customer_kind=CustomerKind.DONOR,
        customer_name="電話 太郎",
        body="苦情です",
        by_user=None,
        at=at("2026-11-25T10:00"),
        channel=Channel.PHONE,
        category=Category.COMPLAINT,
    )
    uc.post_staff_message(session, b, "申し訳ありません", by_user=staff, at=at("2026-11-25T10:10"))
    uc.change_status(
        session, b, ConversationStatus.CLOSED, by_user=staff, resolution="事業者が再送"
    )
    b.resolved_at = at("2026-11-25T11:00")
    uc.start_conversation(
        session,
        customer_kind=CustomerKind.DONOR,
        customer_name="翌月",
        body="x",
        by_user=None,
        at=at("2026-12-01T10:00"),
    )
    s_ = analysis.monthly_summary(session, 2026, 11)
    assert s_.total == 2
    assert s_.by_channel == {"chat": 1, "phone": 1}
    assert s_.first_response_median_min == (60 + 10) / 2
    assert s_.first_response_p90_min == 60
    assert s_.resolution_median_min == 60
    assert [c.id for c in s_.complaints] == [b.id]

    data = analysis.to_csv(session, 2026, 11)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "比婆牛ファーム" in text and "事業者が再送" in text and "\r\n" in text
    ws = load_workbook(io.BytesIO(analysis.to_xlsx(session, 2026, 11))).active
    assert ws.max_row == 3 and ws["A1"].value == "番号"


def test_percentile_nearest_rank() -> None:
    assert analysis.percentile([], 90) is None
    assert analysis.percentile(list(range(1, 11)), 90) == 9
    assert analysis.percentile([5], 90) == 5


def test_analysis_page_and_exports(client, make_user, login) -> None:
    login(make_user(Role.CITY))
    assert "問い合わせの月次分析" in client.get("/support/analysis?month=2026-11").get_data(
        as_text=True
    )
    r = client.get("/support/analysis.csv?month=2026-11")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"  # once, not twice
    assert client.get("/support/analysis.xlsx?month=2026-11").data[:2] == b"PK"
