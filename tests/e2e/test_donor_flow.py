"""A donor without an account: look up a donation, ask for a reissue, see its status; and a
chat with the desk where the staff reply appears without a reload."""

import pytest

from portal.extensions import db
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e


def _showcase(live_app) -> tuple[str, str, str]:
    from portal.demo import showcase
    from portal.demo.donors import second_factor

    with live_app.app_context():
        d = showcase(db.session)
        assert d is not None
        return d.donation_no, d.postal_code, second_factor(d)


def _look_up(page, live_server, number: str, postal: str, second: str) -> None:
    page.goto(f"{live_server}/donor/")
    page.fill("#donation_no", number)
    # Full-width digits and a full-width hyphen, as a phone keyboard may type them.
    page.fill(
        "#postal_code",
        postal[:3].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        + "－"
        + postal[3:],
    )
    # Without the second factor the page shows nothing personal, only the same message.
    page.click("form[action$='/donor/lookup'] button[type=submit]")
    assert "/donor/donations/" not in page.url
    page.fill("#second", second)
    page.click("form[action$='/donor/lookup'] button[type=submit]")
    page.wait_for_url("**/donor/donations/*")


def test_look_up_and_request_a_reissue(page, live_app, live_server) -> None:
    number, postal, second = _showcase(live_app)
    _look_up(page, live_server, number, postal, second)
    assert number in page.inner_text("h1")
    assert "これまでの経過" in page.content()
    screenshot(page, "donor-status")
    reissue = page.locator("text=受領証明書の再発行を申し込む")
    if reissue.count():
        reissue.click()
    else:  # no receipt issued in this seed yet: the form is still the donor's to open
        page.goto(page.url.split("#")[0] + "/requests/receipt-reissue")
    page.check("input[name=reason][value=not-arrived]")
    page.click("form button[type=submit].button--primary")
    page.wait_for_url("**/donor/donations/*")
    row = page.locator("#requests tbody tr").first
    assert "寄附金受領証明書の再発行" in row.inner_text()
    assert "受付中" in row.inner_text()
    assert "お申し込みを受け付けました" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "donor-request-status")
    page.click("text=確認を終える")
    page.wait_for_url("**/donor/")
    page.goto(f"{live_server}/donor/donations")
    assert page.url.endswith("/donor/")


def test_staff_reply_reaches_the_donor_without_reload(page, browser, live_app, live_server) -> None:
    number, postal, second = _showcase(live_app)
    _look_up(page, live_server, number, postal, second)
    page.click("text=この寄附について問い合わせる")
    page.fill("#subject", "配送日の相談")
    page.fill("#body", "年末は不在にします。発送日を教えてください。")
    page.click("form[action$='/support'] button[type=submit]")
    page.wait_for_url("**/donor/support/*")
    chat_url = page.url.split("#")[0]
    page.evaluate("window.__marker = 1")

    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    staff = staff_context.new_page()
    try:
        log_in(staff, live_server, "operator@demo.example")
        staff.goto(f"{live_server}/support/{chat_url.rsplit('/', 1)[1]}")
        assert number in staff.inner_text("#donor-order-context")
        staff.fill("#body", "社内メモ：事業者に確認")
        staff.check("#internal")
        staff.click("#chat-form button[type=submit]")
        staff.fill("#body", "12月26日に発送予定です。")
        staff.click("#chat-form button[type=submit]")
        staff.wait_for_load_state()
        screenshot(staff, "donor-support-staff-side")
    finally:
        staff_context.close()

    page.locator("#chat-log", has_text="12月26日に発送予定です。").wait_for(timeout=15_000)
    assert page.evaluate("window.__marker") == 1
    assert page.url.split("#")[0] == chat_url
    assert "社内メモ" not in page.locator("#chat-log").inner_text()
    screenshot(page, "donor-support-chat")
