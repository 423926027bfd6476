"""A supplier proposes a 第3号 gift with a photo; operator staff ask for a change; the supplier
resubmits; the city approves; the gift appears in the catalogue."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e

NAME = "庄原そば 乾麺 10束（E2E）"


def as_user(browser, base: str, email: str):
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="ja-JP")
    page = context.new_page()
    log_in(page, base, email)
    return page


def test_proposal_from_supplier_to_catalogue(browser, live_server, tmp_path) -> None:
    photo = tmp_path / "soba.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 90, 40)).save(buf, "JPEG")
    photo.write_bytes(buf.getvalue())

    supplier = as_user(browser, live_server, "supplier@demo.example")
    supplier.goto(f"{live_server}/supplier/proposals/new")
    supplier.fill("#name", NAME)
    supplier.fill("#contents", "乾麺 200g×10")
    # Choosing the criterion after typing redraws only its part: what was typed stays.
    supplier.select_option("#criterion", "3")
    supplier.locator("[name=materials-0-material]").wait_for()
    assert supplier.input_value("#name") == NAME
    assert supplier.input_value("#contents") == "乾麺 200g×10"
    screenshot(supplier, "proposal-criterion-switched")
    supplier.select_option("#temperature", "ambient")  # chosen: there is no default band
    supplier.fill("#required_amount", "10000")
    supplier.fill("#shipping_fee", "1200")
    supplier.fill("[name=materials-0-material]", "そば粉")
    supplier.fill("[name=materials-0-origin]", "北海道")
    supplier.fill("[name=materials-0-share]", "80")
    supplier.fill("[name=steps-0-step]", "製麺")
    supplier.fill("[name=steps-0-place]", "庄原市東城町")
    supplier.fill("[name=steps-0-share]", "70")
    supplier.fill("#value_added", "市内の工場で製麺・乾燥して乾麺に仕上げる")
    # Live check while typing: 3,500 of 10,000 breaks the 3割 rule.
    supplier.fill("#procurement_cost", "3500")
    expect(supplier.locator("#proposal-findings")).to_contain_text("30%")
    supplier.fill("#procurement_cost", "3000")
    expect(supplier.locator("#proposal-findings")).to_contain_text("そろっています")
    assert supplier.evaluate("document.documentElement.scrollWidth") <= 375
    supplier.click("button[value=save]")
    supplier.wait_for_load_state()
    detail_url = supplier.url
    supplier.set_input_files("#file", str(photo))
    supplier.click("button:has-text('添付する')")
    supplier.wait_for_load_state()
    assert "soba.jpg" in supplier.content()
    supplier.click("button[value=submit]")
    supplier.wait_for_load_state()
    assert "提出済" in supplier.content()
    screenshot(supplier, "proposal-supplier-submitted")

    operator = as_user(browser, live_server, "operator@demo.example")
    operator.goto(f"{live_server}/staff/proposals")
    operator.click(f"text={NAME}")
    operator.click("button:has-text('審査を始める')")
    operator.fill("#comment", "1束の重さを内容量に書いてください。")
    operator.click("button:has-text('修正を依頼')")
    assert "修正依頼" in operator.content()

    supplier.goto(f"{live_server}/supplier/proposals")
    assert "1束の重さ" in supplier.content()
    supplier.goto(detail_url)
    supplier.fill("#contents", "乾麺 1束200g×10")
    supplier.click("button[value=submit]")
    supplier.wait_for_load_state()
    assert "再提出" in supplier.content()

    operator.reload()
    operator.click("button:has-text('審査を始める')")
    assert "前回の提出からの変更" in operator.content()
    assert "乾麺 1束200g×10" in operator.content()
    screenshot(operator, "proposal-operator-diff")
    operator.click("button:has-text('市へ推薦')")
    assert "市の承認待ち" in operator.content()

    city = as_user(browser, live_server, "city@demo.example")
    city.goto(f"{live_server}/staff/proposals")
    city.click(f"text={NAME}")
    asked: list[str] = []
    city.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    city.click("button:has-text('承認')")
    city.wait_for_load_state()
    assert asked and "承認すると" in asked[0]  # an irreversible step asks once, saying what happens
    assert "承認" in city.locator("p .status").first.inner_text()

    operator.goto(f"{live_server}/staff/gifts?q=E2E")
    assert NAME in operator.locator("#gift-rows").inner_text()
    screenshot(operator, "proposal-gift-in-catalogue")
