"""Staff produce and submit November's business report; city staff open it from their
dashboard, read it and accept it. Screenshots at 375 and 1280 px in test-artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e

MONTH = "2026-11"


def test_november_report_submitted_and_accepted(browser, live_server) -> None:
    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP")
        page = context.new_page()
        try:
            log_in(page, live_server, "operator@demo.example")
            page.goto(f"{live_server}/staff/reports/{MONTH}")
            if width == 375:
                page.click("text=この月の報告書を作成する")
                page.wait_for_load_state()
                assert "作成中" in page.locator("[data-testid=report-state]").inner_text()
                comment = page.locator("#section-a form textarea")
                comment.fill("ふるさとチョイスの年末特集で件数が伸びました。")
                page.locator("#section-a form button[type=submit]").click()
                page.wait_for_load_state()
                assert "コメントを保存しました" in page.content()
            screenshot(page, f"monthly-report-draft-{width}")
            assert page.locator("#section-a svg").count() == 2
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            if width == 1280:
                page.click("text=市に提出する")
                page.wait_for_load_state()
                assert "市の検査待ち" in page.locator("[data-testid=report-state]").inner_text()
            page.goto(f"{live_server}/staff/invoices?month={MONTH}")
            screenshot(page, f"monthly-invoice-{width}")
            page.goto(f"{live_server}/staff/contract")
            screenshot(page, f"monthly-contract-{width}")
        finally:
            context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    try:
        log_in(page, live_server, "city@demo.example")
        page.goto(f"{live_server}/staff/")
        due = page.locator("[data-testid=monthly-due]")
        assert "市の検査待ち" in due.inner_text()
        screenshot(page, "monthly-city-dashboard-1280")
        due.click()
        page.wait_for_url(f"**/staff/reports/{MONTH}")
        assert "ふるさとチョイスの年末特集で件数が伸びました。" in page.content()
        assert page.locator("#section-a form").count() == 0  # read-only for the city
        screenshot(page, "monthly-report-city-1280")
        page.fill("#comment", "内容を確認しました。")
        page.click("text=検査済にする")
        page.wait_for_load_state()
        assert page.locator("[data-testid=report-state]").inner_text() == "検査済"
        assert "内容を確認しました。" in page.content()
        page.goto(f"{live_server}/staff/")
        assert "検査済" in page.locator("[data-testid=monthly-due]").inner_text()
    finally:
        context.close()
