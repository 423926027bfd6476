"""The proposal sheet PDF through the staff screens: staff download it, suppliers cannot."""

from __future__ import annotations

from typing import Any

from portal.core.roles import Role
from tests.conftest import pdf_text
from tests.unit.test_proposal_sheet import approved
from tests.web.test_proposals import signed_in


def test_staff_download_the_sheet_and_suppliers_are_refused(
    app: Any, session: Any, make_user: Any, make_supplier: Any
) -> None:
    p = approved(session, make_user, make_supplier)
    operator = signed_in(app, make_user(Role.OPERATOR))
    city = signed_in(app, make_user(Role.CITY))
    supplier = signed_in(app, make_user(Role.SUPPLIER, supplier=p.supplier))

    detail = operator.get(f"/staff/proposals/{p.id}").get_data(as_text=True)
    assert f"/staff/proposals/{p.id}/sheet.pdf" in detail

    r = operator.get(f"/staff/proposals/{p.id}/sheet.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == f'attachment; filename="proposal-{p.id}.pdf"'
    assert "黒毛和牛肉" in "".join(pdf_text(r.data).split())
    assert city.get(f"/staff/proposals/{p.id}/sheet.pdf").status_code == 200

    assert supplier.get(f"/staff/proposals/{p.id}/sheet.pdf").status_code == 403
    assert operator.get("/staff/proposals/999999/sheet.pdf").status_code == 404


def test_sheets_of_all_proposals_approved_in_a_period(
    app: Any, session: Any, make_user: Any, make_supplier: Any
) -> None:
    p = approved(session, make_user, make_supplier)
    operator = signed_in(app, make_user(Role.OPERATOR))
    assert "/staff/proposals/sheets.pdf" in operator.get("/staff/proposals?state=approved").text

    r = operator.get("/staff/proposals/sheets.pdf?from=2000-01-01&to=2999-12-31")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert p.name.replace(" ", "") in "".join(pdf_text(r.data).split())

    empty = operator.get("/staff/proposals/sheets.pdf?from=2000-01-01&to=2000-01-31")
    assert empty.status_code == 303 and "state=approved" in empty.headers["Location"]
    assert operator.get("/staff/proposals/sheets.pdf?from=garbage").status_code == 400
