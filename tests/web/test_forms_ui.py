"""What a phone user meets after a failed submit, and forms drawn once per gift."""

from __future__ import annotations

import re
from collections import Counter

from portal.core.clock import today_jst
from portal.core.roles import Role
from portal.gifts.models import TemperatureBand


def test_a_failed_ship_form_opens_with_an_error_summary_linking_to_the_field(
    client, login, make_supplier, make_user, make_gift, make_order
) -> None:
    supplier = make_supplier()
    gift = make_gift(supplier=supplier, temperature=TemperatureBand.FROZEN)
    order = make_order(gift)
    login(make_user(Role.SUPPLIER, supplier=supplier))
    response = client.post(
        f"/supplier/orders/{order.id}/ship",
        data={"carrier": "yamato", "tracking_no": "1234", "shipped_on": today_jst().isoformat()},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = re.search(r'<div class="[^"]*error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary, "no error summary"
    assert 'tabindex="-1"' in summary.group(0)  # app.js moves the focus to it
    assert 'href="#tracking_no"' in summary.group(1)  # each field error links to its field
    assert 'id="tracking_no"' in html and 'value="1234"' in html  # what was typed is kept


def test_stock_forms_drawn_per_gift_have_unique_ids_and_labels_that_work(
    client, login, make_supplier, make_user, make_gift
) -> None:
    supplier = make_supplier()
    for _ in range(3):
        make_gift(supplier=supplier)
    login(make_user(Role.SUPPLIER, supplier=supplier))
    html = client.get("/supplier/stock").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    labels = re.findall(r'<label[^>]*\sfor="([^"]+)"', html)
    assert labels and set(labels) <= set(ids)
    assert html.count('name="quantity"') == 6  # 入荷 and 数え直し for each of three gifts


def test_the_ship_form_goes_back_only_to_a_local_page(
    client, login, make_supplier, make_user, make_gift, make_order
) -> None:
    supplier = make_supplier()
    order = make_order(make_gift(supplier=supplier))
    login(make_user(Role.SUPPLIER, supplier=supplier))
    response = client.post(
        f"/supplier/orders/{order.id}/ship",
        data={
            "carrier": "yamato",
            "tracking_no": "41000000000" + str(41000000000 % 7),
            "shipped_on": today_jst().isoformat(),
            "next": "https://evil.example/phish",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/supplier/#main"
