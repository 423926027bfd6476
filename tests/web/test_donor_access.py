"""Donor access: number + postal code in any form, one-time links, the donor session."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.models import utcnow
from portal.donors import access
from portal.donors.models import DonorToken


def lookup(client, number, postal, second="キフ ハナコ"):
    """The donor's look-up form: number, postal code and the second factor (フリガナ of
    make_donation's donor unless told otherwise)."""
    return client.post(
        "/donor/lookup", data={"donation_no": number, "postal_code": postal, "second": second}
    )


@pytest.mark.parametrize("postal", ["7270011", "727-0011", "７２７－００１１", "〒727-0011"])
def test_all_postal_forms_open_the_donation(client, make_donation, postal):
    d = make_donation()
    r = lookup(client, d.donation_no, postal)
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/donor/donations/{d.id}")
    page = client.get(f"/donor/donations/{d.id}")
    assert page.status_code == 200
    assert d.donation_no in page.get_data(as_text=True)


def test_full_width_donation_number_works(client, make_donation):
    d = make_donation()
    wide = d.donation_no.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert lookup(client, wide, "727-0011").status_code == 303


def test_wrong_postal_answers_like_an_unknown_donation(client, make_donation):
    d = make_donation()
    wrong = lookup(client, d.donation_no, "7270012")
    unknown = lookup(client, "2026-999999", "7270011")
    assert wrong.status_code == unknown.status_code == 200

    def message(r):
        html = r.get_data(as_text=True)
        return re.search(
            r'<div class="notice notice--error[^"]*" role="alert"[^>]*>(.*?)</div>', html, re.S
        ).group(1)

    assert message(wrong) == message(unknown)
    assert "確認できませんでした" in message(wrong)
    assert client.get(f"/donor/donations/{d.id}").status_code == 303  # not let in


def test_another_donors_donation_is_not_found(client, make_donation):
    mine = make_donation()
    other = make_donation(postal_code="1000001", email="other@example.jp")
    assert lookup(client, mine.donation_no, "7270011").status_code == 303
    assert client.get(f"/donor/donations/{other.id}").status_code == 404
    assert client.get(f"/donor/donations/{other.id}/requests/mail-address").status_code == 404
    assert client.get("/donor/donations/999999").status_code == 404


def test_viewing_the_status_page_is_audited_as_the_donor(client, session, make_donation):
    d = make_donation()
    lookup(client, d.donation_no, "7270011")
    client.get(f"/donor/donations/{d.id}")
    row = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.subject_type == "donation", AuditEntry.subject_id == str(d.id)
        )
    ).first()
    assert row is not None
    assert (row.actor_kind, row.actor_user_id, row.action) == ("donor", None, "view")
    assert row.actor_ref == d.donation_no


def test_session_ends_after_thirty_idle_minutes(client, make_donation, frozen_clock):
    d = make_donation()
    lookup(client, d.donation_no, "7270011")
    assert client.get(f"/donor/donations/{d.id}").status_code == 200
    frozen_clock.advance(timedelta(minutes=29))
    assert client.get(f"/donor/donations/{d.id}").status_code == 200  # still in, and refreshed
    frozen_clock.advance(timedelta(minutes=29))
    assert client.get(f"/donor/donations/{d.id}").status_code == 200  # 29 minutes since then
    frozen_clock.advance(timedelta(minutes=31))
    r = client.get(f"/donor/donations/{d.id}")
    assert r.status_code == 303 and r.headers["Location"].endswith("/donor/")
    page = client.get("/donor/").get_data(as_text=True)
    assert "30分間操作がなかったため" in page
    assert client.get(f"/donor/donations/{d.id}").status_code == 303


def test_last_use_is_noted_once_a_minute_and_the_idle_end_stays_within_it(
    client, make_donation, frozen_clock
):
    d = make_donation()
    lookup(client, d.donation_no, "7270011")
    assert client.get(f"/donor/donations/{d.id}").status_code == 200  # (its form's CSRF token)
    frozen_clock.advance(timedelta(seconds=50))
    r = client.get(f"/donor/donations/{d.id}")
    assert r.status_code == 200 and "Set-Cookie" not in r.headers  # no new cookie yet
    frozen_clock.advance(timedelta(seconds=20))  # 70 s after the look-up: noted, cookie sent
    r = client.get(f"/donor/donations/{d.id}")
    assert r.status_code == 200 and "Set-Cookie" in r.headers
    frozen_clock.advance(timedelta(seconds=50))  # not noted (50 s since the last note)
    assert client.get(f"/donor/donations/{d.id}").status_code == 200
    # 30 minutes after the noted request, 29 min 10 s after the last one: within the minute.
    frozen_clock.advance(timedelta(minutes=29, seconds=11))
    r = client.get(f"/donor/donations/{d.id}")
    assert r.status_code == 303 and r.headers["Location"].endswith("/donor/")
    assert "30分間操作がなかったため" in client.get("/donor/").get_data(as_text=True)


def test_logout_button_ends_the_session(client, make_donation):
    d = make_donation()
    lookup(client, d.donation_no, "7270011")
    page = client.get(f"/donor/donations/{d.id}").get_data(as_text=True)
    assert "確認を終える" in page
    assert client.post("/donor/logout").status_code == 303
    assert client.get(f"/donor/donations/{d.id}").status_code == 303


@pytest.mark.usefixtures("app")
def test_wrong_entries_are_rate_limited_per_donation_number(client, make_donation):
    d = make_donation()
    for _ in range(5):
        assert lookup(client, d.donation_no, "1111111").status_code == 200
    limited = lookup(client, d.donation_no, "7270011")  # even the right code waits now
    assert limited.status_code == 429
    assert "上限" in limited.get_data(as_text=True)
    # The storage keys are keyed hashes, never the number itself.
    from portal.extensions import limiter

    keys = " ".join(str(k) for k in limiter.limiter.storage.storage)
    assert "donor-number" in keys and d.donation_no not in keys
    other = make_donation(postal_code="1000001")
    assert lookup(client, other.donation_no, "100-0001").status_code == 303


def test_wrong_entries_are_rate_limited_per_client_ip(client, make_donation, app):
    app.config["DONOR_LIMIT_PER_IP"] = "3 per 15 minutes"
    try:
        for n in range(3):
            lookup(client, f"2026-99990{n}", "7270011")
        d = make_donation()
        assert lookup(client, d.donation_no, "7270011").status_code == 429
    finally:
        del app.config["DONOR_LIMIT_PER_IP"]


def test_41_look_ups_with_one_postal_code_from_one_address_are_refused(client, make_donation):
    """Walking the sequential numbers with one common postal code: successes count too."""
    donations = [make_donation(phone=f"090-0000-{n:04d}") for n in range(41)]
    answers = [lookup(client, d.donation_no, "7270011", d.phone[-4:]) for d in donations]
    assert [r.status_code for r in answers[:30]] == [303] * 30
    refused = answers[-1]
    assert refused.status_code == 429
    assert "お試しの回数が上限に達しました" in refused.get_data(as_text=True)
    assert donations[-1].donor_name not in refused.get_data(as_text=True)


def test_a_right_lookup_counts_against_its_number(client, make_donation):
    d = make_donation()
    for _ in range(5):
        assert lookup(client, d.donation_no, "7270011").status_code == 303
    assert lookup(client, d.donation_no, "7270011").status_code == 429


@pytest.mark.parametrize("second", ["", "1234", "ヤマダ ハナコ"])
def test_number_and_postal_without_the_second_factor_show_nothing_personal(
    client, make_donation, second
):
    d = make_donation(phone="0824-72-5678", address="広島県庄原市東本町1-1")
    r = lookup(client, d.donation_no, "7270011", second)
    html = r.get_data(as_text=True)
    assert r.status_code in (200, 422)
    for personal in ("寄附 花子", "東本町", "5678", "キフ"):
        assert personal not in html
    assert client.get(f"/donor/donations/{d.id}").status_code == 303  # not let in


@pytest.mark.parametrize("second", ["5678", "５６７８", "きふはなこ", "ｷﾌ ﾊﾅｺ", "キフ　ハナコ"])
def test_the_phone_end_or_the_furigana_opens_the_donation(client, make_donation, second):
    d = make_donation(phone="0824-72-5678")
    assert lookup(client, d.donation_no, "7270011", second).status_code == 303


def test_a_donation_without_phone_or_kana_opens_only_by_mail_link(client, make_donation):
    d = make_donation(donor_kana="")
    assert lookup(client, d.donation_no, "7270011", "").status_code == 422
    assert lookup(client, d.donation_no, "7270011", "0000").status_code == 200
    assert client.get(f"/donor/donations/{d.id}").status_code == 303


def test_the_status_page_masks_address_until_a_change_is_asked(client, make_donation):
    d = make_donation(address="広島県庄原市東本町1-1", phone="0824-72-5678")
    lookup(client, d.donation_no, "7270011", "5678")
    page = client.get(f"/donor/donations/{d.id}").get_data(as_text=True)
    assert "広島県庄原市＊＊＊" in page and "〒727-＊＊＊＊" in page
    assert "東本町1-1" not in page and "0011" not in page and "5678" not in page
    form = client.get(f"/donor/donations/{d.id}/requests/delivery-address").get_data(as_text=True)
    assert "東本町1-1" in form and "0824-72-5678" in form


def test_email_link_opens_every_donation_with_that_address(client, session, make_donation, mailbox):
    first = make_donation(email="Hanako@Example.jp")
    second = make_donation(applied_on=date(2026, 11, 3))
    other = make_donation(email="someone@example.jp")
    numbers = first.donation_no, second.donation_no, other.donation_no
    r = client.post("/donor/link", data={"email": "hanako@example.jp"}, follow_redirects=True)
    assert "リンクをお送りしました" in r.get_data(as_text=True)
    assert len(mailbox.messages) == 1
    link = re.search(r"http://\S+/donor/link/(\S+)", mailbox.body()).group(0)
    token = link.rsplit("/", 1)[1]
    assert session.scalar(sa.select(DonorToken.token_hash)) != token  # stored hashed
    path = "/donor/link/" + token
    assert client.get(path).status_code == 200  # a confirmation page: opening uses nothing
    assert client.get(path).status_code == 200
    used = client.post(path)
    assert used.status_code == 303 and used.headers["Location"].endswith("/donor/donations")
    listing = client.get("/donor/donations").get_data(as_text=True)
    assert numbers[0] in listing and numbers[1] in listing
    assert numbers[2] not in listing


def test_unknown_address_gets_the_same_sentence_and_no_mail(client, make_donation, mailbox):
    make_donation()
    known = client.post("/donor/link", data={"email": "hanako@example.jp"})
    unknown = client.post("/donor/link", data={"email": "nobody@example.jp"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert "リンクをお送りしました" in client.get("/donor/").get_data(as_text=True)
    assert len(mailbox.messages) == 1


def test_used_link_fails(client, session, make_donation):
    make_donation()
    token = access.issue_token(session, email="hanako@example.jp")
    assert client.post(f"/donor/link/{token}").status_code == 303
    client.post("/donor/logout")
    again = client.post(f"/donor/link/{token}")
    assert again.status_code == 410
    assert "すでに使われています" in again.get_data(as_text=True)
    assert client.get(f"/donor/link/{token}").status_code == 410


def test_expired_link_fails(client, session, make_donation):
    d = make_donation()
    token = access.issue_token(
        session, email="hanako@example.jp", now=utcnow() - timedelta(minutes=31)
    )
    r = client.post(f"/donor/link/{token}")
    assert r.status_code == 410
    assert client.get(f"/donor/donations/{d.id}").status_code == 303


def test_made_up_link_fails(client):
    assert client.post("/donor/link/not-a-real-token").status_code == 410


def test_link_requests_are_rate_limited_per_address(client, make_donation, mailbox):
    make_donation()
    for _ in range(3):
        assert client.post("/donor/link", data={"email": "hanako@example.jp"}).status_code == 303
    assert client.post("/donor/link", data={"email": "HANAKO@example.jp"}).status_code == 429
    assert len(mailbox.messages) == 3


def test_no_personal_data_in_donor_urls(client, make_donation):
    d = make_donation()
    r = lookup(client, d.donation_no, "7270011")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    hrefs = re.findall(r'href="(/donor[^"]*)"', page)
    assert hrefs
    for h in hrefs:
        assert d.donation_no not in h and "7270011" not in h and "hanako" not in h
