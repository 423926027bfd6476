"""Inputs and resources: image pixel limits, mail addresses that cannot break a header,
no-store on every personal answer, shared rate-limit storage with several workers."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image

from portal import create_app
from portal.config import UnsafeConfig
from portal.core.errors import DomainError
from portal.core.mail import BadAddress, build_message, clean_address
from portal.core.roles import Role
from portal.donations.importers import import_file
from portal.donations.models import Donation
from portal.support.attachments import check_upload
from portal.support.models import Conversation, Message
from tests.web.test_donor_access import lookup


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png_header(width: int = 10_000, height: int = 10_000) -> bytes:
    """A valid PNG signature and IHDR declaring width × height RGB, then junk image data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"not zlib at all" * 10)
        + _chunk(b"IEND", b"")
    )


# --- images ------------------------------------------------------------------------------


@pytest.mark.usefixtures("app")
def test_a_10000_by_10000_png_attachment_is_refused_before_decoding():
    with pytest.raises(DomainError) as err:
        check_upload("big.png", huge_png_header())
    # Junk image data: a decoder would have said 画像を読み取れませんでした instead.
    assert "画素数が大きすぎます" in str(err.value.message)
    assert err.value.field == "attachment"


@pytest.mark.usefixtures("app")
def test_a_normal_photo_still_passes_without_its_exif():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "JPEG", exif=exif.tobytes())
    checked = check_upload("p.jpg", out.getvalue())
    with Image.open(io.BytesIO(checked.data)) as img:
        assert img.size == (64, 48) and not img.getexif()


def test_the_pixel_refusal_reaches_the_donor_in_english(app, make_donation):
    d = make_donation()
    c = app.test_client()
    c.post("/lang", data={"lang": "en"})
    assert lookup(c, d.donation_no, "7270011").status_code == 303
    r = c.post(
        f"/donor/donations/{d.id}/support",
        data={
            "subject": "photo",
            "category": "receipt",
            "body": "see the photo",
            "attachment": (io.BytesIO(huge_png_header()), "big.png"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "too many pixels" in r.get_data(as_text=True)


# --- mail addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["taro@example.jp\nBcc: all@example.jp", "a@b.jp, c@d.jp", "taro @example.jp", "x"]
)
def test_an_address_that_is_not_one_plain_address_never_reaches_a_header(raw):
    assert clean_address(raw) == ""
    if "," not in raw:  # a list of plain addresses is how the incident mail goes to the city
        with pytest.raises(BadAddress):
            build_message(raw, "件名", "本文", sender="from@example.jp")


def test_an_imported_address_with_a_line_break_is_a_clear_rejection(session, make_gift):
    make_gift(code="HB-001")
    header = "受付番号,寄附日,入金日,決済方法,寄附金額,氏名,メールアドレス,返礼品コード,数量\n"
    row = 'S-1,2026/12/01,2026/12/01,クレジットカード,10000,庄原 太郎,"taro@example.jp\nBcc: x@y.jp",HB-001,1\n'
    result = import_file(session, "standard", (header + row).encode("cp932"))
    assert [str(r.reason) for r in result.rejected] == [
        "メールアドレスの形式が正しくありません（改行や複数のアドレスは使えません）。"
    ]
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0


def test_a_reply_to_a_broken_stored_address_is_kept_and_answers_normally(
    session, client, login, make_user, make_donation, mailbox
):
    """Data imported before the check: the reply is stored, the page answers, no mail is
    attempted with the broken header (today: a 500 and a reply the agent took for lost)."""
    d = make_donation(email="hanako@example.jp\r\nBcc: everyone@example.jp")
    donor = client.application.test_client()
    assert lookup(donor, d.donation_no, "7270011").status_code == 303
    r = donor.post(
        f"/donor/donations/{d.id}/support",
        data={"subject": "住所", "category": "receipt", "body": "届きません"},
    )
    conv_id = int(r.headers["Location"].rsplit("/", 1)[1])
    login(make_user(Role.OPERATOR))
    reply = client.post(f"/support/{conv_id}/reply", data={"body": "再送しました。"})
    assert reply.status_code in (303, 204)
    bodies = session.scalars(sa.select(Message.body).where(Message.conversation_id == conv_id))
    assert "再送しました。" in list(bodies)
    assert mailbox.messages == []
    assert session.get(Conversation, conv_id) is not None


# --- response headers per audience ---------------------------------------------------------


def test_every_audience_answers_no_store(app, client, login, make_user, make_donation, make_order):
    d = make_donation()
    donor = app.test_client()
    lookup(donor, d.donation_no, "7270011")
    order = make_order()
    supplier_user = make_user(Role.SUPPLIER, supplier=order.supplier)
    supplier = app.test_client()
    from tests.conftest import sign_in

    sign_in(supplier, supplier_user)
    login(make_user(Role.OPERATOR))
    answers = {
        "donor status page": donor.get(f"/donor/donations/{d.id}"),
        "supplier orders": supplier.get("/supplier/orders"),
        "staff donation list": client.get("/staff/donations"),
        "staff donation": client.get(f"/staff/donations/{d.id}"),
        "desk inbox": client.get("/support/"),
    }
    for what, r in answers.items():
        assert r.status_code == 200, what
        assert r.headers["Cache-Control"] == "no-store, private", what
        assert r.headers["X-Content-Type-Options"] == "nosniff", what
        assert r.headers["X-Frame-Options"] == "DENY", what
        assert "default-src" in r.headers["Content-Security-Policy"], what
    # The login page is not personal but still not stored; static files may be cached.
    static = client.get("/static/css/app.css")
    assert static.headers.get("Cache-Control") != "no-store, private"
    static.close()


def test_a_downloaded_attachment_is_not_stored(app, session, make_donation):
    d = make_donation()
    donor = app.test_client()
    lookup(donor, d.donation_no, "7270011")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    r = donor.post(
        f"/donor/donations/{d.id}/support",
        data={
            "subject": "写真",
            "category": "receipt",
            "body": "写真です",
            "attachment": (io.BytesIO(out.getvalue()), "p.png"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    from portal.support.models import Attachment

    attachment = session.scalars(sa.select(Attachment)).one()
    got = donor.get(f"/donor/support/attachments/{attachment.id}")
    assert got.status_code == 200
    assert got.headers["Cache-Control"] == "no-store, private"  # send_file said no-cache
    got.close()


# --- shared rate-limit storage -------------------------------------------------------------


@pytest.mark.parametrize("extra", [{"WEB_CONCURRENCY": 4}, {"PRODUCTION": True}])
def test_several_workers_refuse_in_memory_rate_limits(extra):
    cfg = {
        "TESTING": True,
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "RATELIMIT_STORAGE_URI": "memory://",
        **extra,
    }
    with pytest.raises(UnsafeConfig, match="REDIS_URL"):
        create_app(cfg)
    create_app({**cfg, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/6"})  # starts
    # The limiter is one object for the process: give it back an in-memory store, or every
    # later test would count its logins in Redis.
    create_app(
        {**cfg, "RATELIMIT_STORAGE_URI": "memory://", "WEB_CONCURRENCY": 1, "PRODUCTION": False}
    )
