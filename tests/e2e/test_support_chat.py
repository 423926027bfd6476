"""The desk as a chat: a supplier writes, staff answer from a second browser, no reload."""

import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e


def test_staff_reply_appears_without_reload(page, browser, live_server) -> None:
    log_in(page, live_server, "supplier@demo.example")
    page.goto(f"{live_server}/supplier/support/")
    page.fill("#subject", "ブラウザテストの問い合わせ")
    page.fill("#body", "年末の発送について教えてください")
    page.click("form[action$='/supplier/support/'] button[type=submit]")
    page.wait_for_url("**/supplier/support/*")
    chat_url = page.url.split("#")[0]
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    # Sending through htmx keeps the page and clears the box.
    page.fill("#body", "追加でもう一つ質問です")
    page.click("#chat-form button[type=submit]")
    page.locator("#chat-log", has_text="追加でもう一つ質問です").wait_for(timeout=10_000)
    assert page.input_value("#body") == ""
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    staff = staff_context.new_page()
    try:
        log_in(staff, live_server, "operator@demo.example")
        staff.goto(f"{live_server}/support/")
        staff.click("text=ブラウザテストの問い合わせ")
        staff.fill("#body", "社内メモ：倉庫に確認")
        staff.check("#internal")
        staff.click("#chat-form button[type=submit]")
        staff.fill("#body", "12月28日までのお申込みは年内に発送します。")
        staff.click("#chat-form button[type=submit]")
        staff.wait_for_load_state()
        screenshot(staff, "support-staff-conversation")
    finally:
        staff_context.close()

    page.locator("#chat-log", has_text="年内に発送します").wait_for(timeout=15_000)
    assert page.evaluate("window.__marker") == 1
    assert page.url.split("#")[0] == chat_url
    assert "社内メモ" not in page.locator("#chat-log").inner_text()
    screenshot(page, "support-supplier-chat")
