"""An operator's morning: dashboard → held lines → substitute one with the donor's consent →
stock page → import a small standard CSV to its result; back on the dashboard the import is
listed. Screenshots in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e

HEADER = (
    "受付番号,寄附日,入金日,決済方法,寄附金額,氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,"
    "返礼品コード,数量,配送先氏名,配送先郵便番号,配送先住所,配送先電話番号,寄附使途,ワンストップ希望,"
    "受領証明書要否,氏名公表,応援メッセージ"
)
ROWS = [
    "E2E-OPS-1,2026/11/20,2026/11/20,クレジットカード,15000,庄原 一郎,ショウバラ イチロウ,"
    "〒７２７−００１１,広島県庄原市東本町1-1-1,0824-72-1111,ichiro@example.jp,HB-004,1,,,,,"
    "産業振興,する,要,しない,応援しています",
    "E2E-OPS-2,2026/11/21,,銀行振込,12000,比和 花子,ヒワ ハナコ,7270301,"
    "広島県庄原市比和町比和1,0824-85-2222,hanako@example.jp,,1,,,,,市長におまかせ,しない,要,する,",
]


def _stat(page, name: str) -> int:
    return int(page.locator(f'a[data-count="{name}"] .stat__value').inner_text())


def _substitutable_line(app) -> int:
    """A held line whose donation date has passed (consent cannot predate the donation)."""
    from portal.core.dates import today_jst
    from portal.donations.lifecycle import held_lines
    from portal.extensions import db

    with app.app_context():
        lines = [ln for ln in held_lines(db.session) if ln.donation.applied_on <= today_jst()]
        assert lines, "the demo should hold a line from an earlier donation"
        return lines[0].id


def test_operator_morning(browser, live_app, live_server, tmp_path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    try:
        log_in(page, live_server, "operator@demo.example")
        page.goto(f"{live_server}/staff/")
        held = _stat(page, "held_lines")
        assert held > 0  # the demo leaves lines held for stock
        assert "最近の寄附データ取り込み" in page.content()
        screenshot(page, "staff-dashboard")

        page.click('a[data-count="held_lines"]')
        page.wait_for_url("**/staff/donations/held")
        screenshot(page, "staff-held-lines")
        line_id = _substitutable_line(live_app)
        page.click(f'a[href$="/lines/{line_id}/substitute"]')
        page.wait_for_url("**/substitute")
        page.get_by_role("link", name="これを選ぶ").first.click()
        page.wait_for_url("**/substitute?gift=*")
        code = page.input_value("#gift_code")
        assert code
        page.select_option("#consent_via", "phone")
        page.fill("#note", "お電話で了承いただいた")
        page.click("form.card button[type=submit]")
        page.wait_for_url(re.compile(r".*/staff/donations/\d+$"))
        assert f"代替品 {code} に変更しました" in page.locator(".flashes").inner_text()
        assert "代替品への変更（寄附者の同意）" in page.content()
        screenshot(page, "staff-donation-after-substitution")

        page.goto(f"{live_server}/staff/")
        assert _stat(page, "held_lines") == held - 1
        page.click('a[data-count="stock_alerts"]')
        page.wait_for_url("**/staff/donations/stock*")
        assert "KR-001" in page.content()  # sold out on チョイス: a listing to close
        screenshot(page, "staff-stock")

        csv = tmp_path / "standard.csv"
        csv.write_bytes(("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("utf-8-sig"))
        page.goto(f"{live_server}/staff/donations/import")
        page.select_option("#portal", "standard")
        page.set_input_files("#file", str(csv))
        page.get_by_role("button", name="確認する").click()
        page.get_by_role("heading", name="取り込み前の確認").wait_for()
        listed = page.locator("[data-testid=preview-rows] tbody tr")
        assert listed.count() == 2  # the donations about to be created, before any is
        screenshot(page, "staff-import-preview")
        page.get_by_role("button", name="取り込む").click()
        page.get_by_role("heading", name="取り込み結果").wait_for()
        flash = page.locator(".flashes").inner_text()
        assert "新規 2・更新 0" in flash and "new=" not in flash  # the dashboard's words
        screenshot(page, "staff-import-result")
        page.go_back()  # redirect after POST: Back shows the preview, not a resubmission
        page.get_by_role("heading", name="取り込み前の確認").wait_for()
        page.go_forward()
        page.get_by_role("heading", name="取り込み結果").wait_for()

        page.goto(f"{live_server}/staff/")
        first_import = page.locator("#ops-imports ~ table tbody tr").first.inner_text()
        assert "完了" in first_import and "新規 2" in first_import
        screenshot(page, "staff-dashboard-after-import")
    finally:
        context.close()
