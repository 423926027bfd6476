"""The 寄附金税額控除に係る申告特例申請事項変更届出書 (地方税法施行規則 様式第55号の6).

A donor whose 申告特例申請書 reached the city and whose address or name changes before
1 January of the year after the donation tells the city by this form, by 10 January of that
year ((注1) of the 申告特例申請書). The portal prints it pre-filled from the donation (the
donor's current name and address as 変更後, the donation's date and amount); the donor fills
in 変更前 where it differs, the 個人番号 and the date, and signs. No マイナンバー is printed.

Japanese-only on purpose, like the 申告特例申請書: the form the tax offices read. Rendered from
plain values (`ChangeForm`) through the shared WeasyPrint engine (portal.documents.rendering).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from portal.core.dates import wareki
from portal.core.money import format_yen
from portal.documents.mailing import City, form_year_label, postal_display
from portal.documents.rendering import html_to_pdf

TEMPLATE = "documents/onestop_change.html"
STYLESHEET = "onestop_change.css"


@dataclass(frozen=True)
class ChangeForm:
    donation_number: str
    donor_name: str
    donor_kana: str
    postal_code: str
    address: str
    phone: str
    amount: int
    received_on: date  # 受領日: the donation's date for the tax year


def form_html(form: ChangeForm, city: City | None = None) -> str:
    city = city or City.from_config()
    return current_app.jinja_env.get_template(TEMPLATE).render(
        f=form,
        city=city,
        form_year=form_year_label(form.received_on),
        postal=postal_display(form.postal_code),
        address_lines=[line for line in form.address.splitlines() if line.strip()],
        received=wareki(form.received_on),
        amount=format_yen(form.amount),
    )


def render_change_form(form: ChangeForm, city: City | None = None) -> bytes:
    pdf, _pages = html_to_pdf(form_html(form, city), STYLESHEET)
    return pdf
