"""The 申告特例申請事項変更届出書 (様式第55号の6) reads back with its official headings, notes
and the donation's details; no マイナンバー is printed."""

from __future__ import annotations

from datetime import date

from portal.documents.onestop_change import ChangeForm, render_change_form
from tests.conftest import pdf_text

FORM = ChangeForm(
    donation_number="D2026-0000042",
    donor_name="山田 花子",
    donor_kana="ヤマダ ハナコ",
    postal_code="7270011",
    address="広島県庄原市東本町1丁目10番1号",
    phone="090-1234-5678",
    amount=30000,
    received_on=date(2026, 12, 28),
)


def squash(text: str) -> str:
    return "".join(text.split())


def test_change_form_reads_back_with_the_official_text_and_the_donation(app):
    with app.app_context():
        text = squash(pdf_text(render_change_form(FORM)))
    for expected in (
        "様式第55号の6",
        "令和8年寄附分市町村民税・道府県民税",
        "寄附金税額控除に係る申告特例申請事項変更届出書",
        "庄原市長殿",
        "申告特例対象年の翌年の1月10日までに提出してください",
        "1．当団体に対する寄附に関する事項",
        "2．変更の内容",
        "変更前",
        "変更後",
        "山田花子",
        "ヤマダハナコ",
        "〒727-0011",
        "令和8年12月28日",
        "30,000円",
        "D2026-0000042",
    ):
        assert expected in text, expected


def test_change_form_heading_is_the_donation_year(app):
    january = ChangeForm(**{**FORM.__dict__, "received_on": date(2027, 1, 4)})
    with app.app_context():
        text = squash(pdf_text(render_change_form(january)))
    assert "令和9年寄附分" in text and "令和8年寄附分" not in text
