"""A supplier on a phone (375 px) confirms a shipment straight from the dashboard."""

import re

import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e


def valid_tracking(seed: int) -> str:
    body = f"{41000000000 + seed:011d}"
    return body + str(int(body) % 7)  # the carriers' modulo-7 check digit


def test_confirm_shipment_from_the_dashboard(page, live_server) -> None:
    log_in(page, live_server, "supplier@demo.example")
    page.goto(f"{live_server}/supplier/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "supplier-dashboard")
    card = page.locator(".order-card").first
    order_no = re.search(r"\d{4}-\d{6}-\d+", card.locator(".eyebrow").inner_text()).group(0)
    card.get_by_role("link", name="発送を登録する").click()
    page.wait_for_url("**/supplier/orders/*")
    assert order_no in page.locator("main").inner_text()
    # The courier's facts are on the page; the date defaults to today.
    assert page.input_value("#shipped_on")
    page.select_option("#carrier", "yamato")
    page.fill("#tracking_no", "1234")  # a mistake first: told why, input kept
    page.click("#ship button[type=submit]")
    page.locator(".field__error").first.wait_for()
    assert page.input_value("#tracking_no") == "1234"
    page.fill("#tracking_no", valid_tracking(7))
    page.click("#ship button[type=submit]")
    page.wait_for_url(f"{live_server}/supplier/#main")  # the form's own #ship is not carried on
    assert "発送を登録しました" in page.locator(".flashes").inner_text()
    assert order_no not in page.locator("main").inner_text()
    screenshot(page, "supplier-dashboard-after-shipping")
    page.goto(f"{live_server}/supplier/orders?status=shipped&q={order_no}")
    assert valid_tracking(7) not in page.content()  # the list shows no tracking, detail does
    page.click(f"text={order_no}")
    assert valid_tracking(7) in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "supplier-order-shipped")
