"""A new user's first minutes: the Japanese login page, each demo account's dashboard."""

import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e


def test_login_page_in_japanese_at_phone_width(page, live_server) -> None:
    page.goto(f"{live_server}/login")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "ログイン"
    # No horizontal scrolling at 375 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "login-375")


@pytest.mark.parametrize(
    ("email", "path", "heading"),
    [
        ("operator@demo.example", "/staff/", "運営ダッシュボード"),
        ("city@demo.example", "/staff/", "市職員ダッシュボード"),
        ("supplier@demo.example", "/supplier/", "比婆牛ファーム庄原"),
    ],
)
def test_each_demo_account_lands_on_its_dashboard(page, live_server, email, path, heading) -> None:
    log_in(page, live_server, email)
    assert page.url == f"{live_server}{path}"
    assert heading in page.locator("h1").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, f"dashboard-{email.split('@')[0]}")


def test_supplier_opening_staff_url_gets_403(page, live_server) -> None:
    log_in(page, live_server, "supplier@demo.example")
    response = page.goto(f"{live_server}/staff/gifts")
    assert response.status == 403
    assert "権限がありません" in page.locator("h1").inner_text()


def test_gift_search_updates_without_reload(page, live_server) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "operator@demo.example")
    page.goto(f"{live_server}/staff/gifts")
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    with page.expect_response(
        lambda r: "/staff/gifts?" in r.url and r.request.headers.get("hx-request")
    ):
        page.fill("#q", "比婆牛")
    page.wait_for_load_state()
    assert page.evaluate("window.__marker") == 1
    assert "q=" in page.url  # the filter stays in the URL
    rows = page.locator("#gift-rows tr").all_inner_texts()
    assert rows and all("比婆牛" in r for r in rows)
    screenshot(page, "staff-gifts-search")


def test_language_switch_to_english(page, live_server) -> None:
    page.goto(f"{live_server}/login")
    page.click("button[name=lang][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Log in"
