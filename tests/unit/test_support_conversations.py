import io
from datetime import datetime

import pytest
from PIL import Image

from portal.core.dates import JST
from portal.core.errors import DomainError
from portal.core.roles import Role
from portal.support import attachments as att
from portal.support import conversations as uc
from portal.support import faq
from portal.support.models import AuthorKind, Category, Channel, ConversationStatus, CustomerKind


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def start(session, supplier, when="2026-11-26T10:00", **kw):
    return uc.start_conversation(
        session,
        customer_kind=CustomerKind.SUPPLIER,
        supplier_id=supplier.id,
        subject="件名",
        body="発送日について",
        by_user=None,
        at=at(when),
        **kw,
    )


def test_auto_reply_only_outside_desk_hours(session, make_supplier) -> None:
    s = make_supplier()
    inside = start(session, s, "2026-11-26T10:00")
    assert [m.author_kind for m in inside.messages] == [AuthorKind.CUSTOMER]
    outside = start(session, s, "2026-12-30T10:00")  # year-end break
    kinds = [m.author_kind for m in outside.messages]
    assert kinds == [AuthorKind.CUSTOMER, AuthorKind.SYSTEM]
    # Written as every other screen writes a time (it was 2027/01/04 09:00).
    assert "2027年1月4日(月) 09:00以降" in outside.messages[1].body
    # A phone call logged by staff gets no auto-reply.
    phone = start(session, s, "2026-12-30T10:00", channel=Channel.PHONE)
    assert len(phone.messages) == 1


def test_status_machine_and_first_response(session, make_supplier, make_user) -> None:
    s = make_supplier()
    staff = make_user(Role.OPERATOR)
    conv = start(session, s)
    uc.post_staff_message(session, conv, "確認します", by_user=staff, internal=True)
    assert conv.first_response_at is None and conv.status == ConversationStatus.OPEN
    uc.post_staff_message(session, conv, "お答えします", by_user=staff)
    assert conv.first_response_at is not None
    assert conv.status == ConversationStatus.WAITING and conv.assignee_id == staff.id
    uc.post_customer_message(session, conv, "ありがとうございます", by_user=None)
    assert conv.status == ConversationStatus.OPEN
    uc.change_status(session, conv, ConversationStatus.CLOSED, by_user=staff, resolution="回答済")
    assert conv.resolved_at is not None
    with pytest.raises(DomainError):
        uc.change_status(session, conv, ConversationStatus.WAITING, by_user=staff)
    uc.change_status(session, conv, ConversationStatus.OPEN, by_user=staff)
    assert conv.resolved_at is None


def test_internal_notes_are_not_public(session, make_supplier, make_user) -> None:
    conv = start(session, make_supplier())
    staff = make_user(Role.OPERATOR)
    uc.post_staff_message(session, conv, "社内メモ：要確認", by_user=staff, internal=True)
    before = uc.poll_version(conv)
    assert all(not m.internal for m in uc.public_messages(session, conv))
    assert uc.poll_version(conv) == before  # a note does not wake the customer's page


@pytest.mark.usefixtures("make_supplier")
def test_placeholders(session) -> None:
    conv = uc.start_conversation(
        session,
        customer_kind=CustomerKind.DONOR,
        donation_ref="D-2026-000123",
        customer_name="山田 花子",
        body="証明書が届きません",
        by_user=None,
        at=at("2026-11-26T10:00"),
    )
    text = uc.fill_placeholders("{donor_name} 様 寄附番号 {donation_no} {unknown} {", conv)
    assert text == "山田 花子 様 寄附番号 D-2026-000123 {unknown} {"


def test_complaint_category_sets_flag(session, make_supplier, make_user) -> None:
    conv = start(session, make_supplier())
    uc.categorise(
        session, conv, Category.COMPLAINT, is_complaint=False, by_user=make_user(Role.OPERATOR)
    )
    assert conv.is_complaint


def test_attachment_checks_content_not_name() -> None:
    with pytest.raises(DomainError):
        att.check_upload("photo.jpg", b"MZ\x90\x00 not an image")
    buf = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buf, "JPEG", exif=Image.Exif())
    checked = att.check_upload("写真.jpeg", buf.getvalue() + b"<script>")
    assert checked.content_type == "image/jpeg" and checked.filename == "写真.jpg"
    assert b"<script>" not in checked.data  # re-encoded
    assert att.check_upload("a.bin", b"%PDF-1.7\n...").content_type == "application/pdf"
    with pytest.raises(DomainError):
        att.check_upload("big.pdf", b"%PDF-" + b"0" * att.MAX_BYTES)


def test_faq_matching_and_misses(session) -> None:
    assert faq.seed(session) >= 15
    assert faq.seed(session) == 0  # idempotent
    top = faq.match(session, "ワンストップの申請書はいつまでに出せばいいですか")
    assert top and "1月10日" in top[0].answer
    assert any("住所" in e.question for e in faq.match(session, "引っ越しで住所変更したい"))
    assert faq.match(session, "あ") == []
    import sqlalchemy as sa

    from portal.support.models import FaqSearchMiss

    faq.log_miss(session, "ドローン", "supplier:1")
    faq.log_miss(session, "ドローン配送", "supplier:1")  # typing on: the longer text replaces
    rows = session.scalars(sa.select(FaqSearchMiss.query)).all()
    assert rows == ["ドローン配送"]
