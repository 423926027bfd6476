"""The import preview: what will be created, in pages; unknown IDs mapped from the preview."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.jobs import JobRun
from portal.core.roles import Role
from portal.donations import import_jobs
from portal.donations.models import Donation
from portal.gifts.listings import GiftListing

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
NUMERIC = (FIXTURES / "satofull_numeric.csv").read_bytes()


def _upload(client, portal: str, data: bytes, name: str = "export.csv"):
    return client.post(
        "/staff/donations/import",
        data={"portal": portal, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _last_run(session) -> JobRun:
    return session.scalar(sa.select(JobRun).order_by(JobRun.id.desc()))


def _count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Donation))


@pytest.mark.usefixtures("app")
def test_numeric_satofull_ids_are_listed_then_mapped_from_the_preview(
    session, login, make_user, make_gift
):
    hb_id = make_gift(code="HB-001", name="比婆牛ロース").id
    hj_id = make_gift(code="HJ-002", name="庄原ジェラート").id
    client = login(make_user(Role.OPERATOR))
    html = _upload(client, "satofull", NUMERIC).get_data(as_text=True)
    run = _last_run(session)
    run_id = run.id
    # Each unknown ID once, with how many rows use it; nothing about to be created yet.
    assert run.result["unknown_ids"] == [["4809357", 3], ["4809358", 1]]
    assert html.count("<code>4809357</code>") == 1 and "<code>4809358</code>" in html
    assert "作成・更新される寄附はありません。" in html
    assert "返礼品が分からない寄附を除いて取り込む" in html
    assert "庄原" not in str(run.result)  # the job row holds IDs and counts, no donor data

    mapped = client.post(
        f"/staff/donations/import/jobs/{run_id}/map",
        data={"item_id": "4809357", "gift_id": hb_id},
        follow_redirects=True,
    )
    assert [r.status_code for r in mapped.history] == [303]  # and the preview runs again
    listing = session.scalar(sa.select(GiftListing))
    assert (listing.gift_id, listing.portal, listing.item_id) == (hb_id, "satofull", "4809357")
    assert session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.subject_type == "gift_listing", AuditEntry.action == "create"
        )
    )
    again = _last_run(session)
    again_id = again.id
    assert again.id != run_id and again.result["unknown_ids"] == [["4809358", 1]]
    html = mapped.get_data(as_text=True)
    assert "ID 4809357 を返礼品 HB-001 に対応付けました。" in html
    assert "SF1000002" in html and "SF1000003" in html  # now about to be created

    # Mapping an ID to a gift that already has another ID on this portal says so, changes nothing.
    refused = client.post(
        f"/staff/donations/import/jobs/{again_id}/map",
        data={"item_id": "4809358", "gift_id": hb_id},
        follow_redirects=True,
    )
    assert _last_run(session).id == again_id
    assert "4809358" in refused.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(GiftListing)) == 1

    done = client.post(
        f"/staff/donations/import/jobs/{again_id}/map",
        data={"item_id": "4809358", "gift_id": hj_id},
        follow_redirects=True,
    )
    final = _last_run(session)
    assert final.result["unknown_ids"] == [] and final.result["new"] == 3
    html = done.get_data(as_text=True)
    assert "比婆牛ロース" in html and "庄原ジェラート" in html
    assert ">取り込む<" in html
    assert _count(session) == 0  # a preview writes nothing

    applied = client.post(
        "/staff/donations/import/apply",
        data={"token": final.result["token"], "portal": "satofull"},
        follow_redirects=True,
    )
    assert [r.status_code for r in applied.history] == [303]
    assert _count(session) == 3
    # The flash speaks the dashboard's words, not the CLI's counters.
    page = applied.get_data(as_text=True)
    assert "取り込みました：新規 3・更新 0・変更なし 0・不備 0・競合 0" in page
    assert "new=3" not in page


@pytest.mark.usefixtures("app")
def test_preview_lists_donations_and_warnings_and_is_audited(session, login, make_user, make_gift):
    for code in ("HB-001", "HJ-002"):
        make_gift(code=code)
    user = make_user(Role.OPERATOR)
    user_id = user.id
    client = login(user)
    data = (FIXTURES / "satofull_numeric.csv").read_bytes().replace(b"4809357", b"HB-001")
    data = data.replace(b"4809358", b"HJ-002")
    html = _upload(client, "satofull", data).get_data(as_text=True)
    run = _last_run(session)
    run_id = run.id
    assert run.result["warning_count"] == 2
    assert "?田 花子" in html and "Shift_JIS にない文字" in html
    assert "ﾀｶﾊｼ ｲﾁｺ" in html and "タカハシ イチコ" in html
    assert "髙橋 ①子" in html  # the name as written, not 髙橋 1子
    assert "入金済" in html and "未入金" in html
    assert "?田" not in str(run.result)
    assert session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.subject_type == "donation_import",
            AuditEntry.subject_id == str(run_id),
            AuditEntry.actor_user_id == user_id,
        )
    )


@pytest.mark.usefixtures("app")
def test_preview_pages_by_offset_in_file_order(session, login, make_user, make_gift, monkeypatch):
    make_gift(code="HB-001")
    monkeypatch.setattr(import_jobs, "PAGE", 2)
    client = login(make_user(Role.OPERATOR))
    body = _standard_file(5)
    first = _upload(client, "standard", body).get_data(as_text=True)
    run = _last_run(session)
    assert run.result["new"] == 5
    assert "P-0000" in first and "P-0001" in first and "P-0002" not in first
    nxt = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(nxt).get_data(as_text=True)
    assert "P-0002" in second and "P-0003" in second and "P-0001" not in second
    third = client.get(second.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&"))
    html = third.get_data(as_text=True)
    assert "P-0004" in html and 'rel="next"' not in html
    # An offset that is not a row's start shows the first page rather than half a row.
    assert "P-0000" in client.get(f"/staff/donations/import/jobs/{run.id}?at=7").get_data(
        as_text=True
    )


def _standard_file(n: int) -> bytes:
    """n one-line donations in the standard layout, CP932."""
    header = (FIXTURES / "standard.csv").read_bytes().decode("cp932").splitlines()[0]
    columns = [c.strip() for c in header.split(",")]
    values = {
        "寄附日": "2026/12/01",
        "決済方法": "クレジットカード",
        "寄附金額": "10000",
        "返礼品コード": "HB-001",
        "数量": "1",
    }
    out = [header]
    for i in range(n):
        row = dict.fromkeys(columns, "")
        row.update({k: v for k, v in values.items() if k in row})
        row[columns[0]] = f"P-{i:04d}"
        row["氏名"] = f"寄附 {i}号"
        out.append(",".join(row.values()))
    return ("\r\n".join(out) + "\r\n").encode("cp932")
