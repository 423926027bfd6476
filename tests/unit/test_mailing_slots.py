"""An ordinary donor's values fit their slots at the normal size on every sheet: the smaller
type is for the long ones (and a chunk of sets is laid out once, not twice)."""

from __future__ import annotations

from dataclasses import replace

from portal.documents import mailing, rendering
from portal.documents.mailing import City
from tests.unit.test_documents import BASE


def test_ordinary_values_print_at_the_normal_size_on_every_sheet(app) -> None:
    ordinary = [
        replace(
            BASE, onestop_requested=True, donor_kana="ヤマダ ハナコ", donor_phone="090-1234-5678"
        ),
        replace(BASE, set_id="B2027-0001-00043", donor_name="佐々木 健太郎", amount=1_000_000),
    ]
    with app.app_context(), rendering.watched():
        html, _document, layers = mailing._variable_document(ordinary, City.from_config())
    assert len(layers) == 6
    assert "v--tight" not in html


def test_a_name_too_long_for_its_box_is_set_smaller(app) -> None:
    long_name = replace(
        BASE,
        onestop_requested=True,
        donor_name="寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末",
    )
    with app.app_context(), rendering.watched():
        html, _document, _layers = mailing._variable_document([long_name], City.from_config())
    assert "v--f_name v--tight" in html or "v--r_name v--tight" in html
