"""Staff screens show disaster relief and crowdfunding: the list filters on them (with a
chip), the detail says so, the dashboard counts them separately, direct entry sets them."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from portal.core.dates import today_jst
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.donations.lifecycle import DonationData, create_donation
from portal.donations.models import Donation, PaymentMethod, PaymentState


def _make(session, no: str, amount: int, **kw) -> Donation:
    d = create_donation(
        session,
        DonationData(
            portal=Portal.STANDARD,
            portal_order_no=no,
            donor_name="庄原 太郎",
            amount=amount,
            applied_on=today_jst(),
            payment_method=PaymentMethod.CARD,
            payment_state=PaymentState.PAID,
            **kw,
        ),
    )
    session.flush()
    return d


def _figure(html: str, name: str) -> str:
    m = re.search(rf'data-figure="{name}">(.*?)</a>', html, re.S)
    assert m, name
    return re.sub(r"<[^>]+>", " ", m.group(1))


def test_list_filters_by_kind_with_a_removable_chip(session, login, make_user, make_project):
    sakura = make_project()
    _make(session, "N-1", 10000)
    _make(session, "N-2", 20000, disaster_relief=True)
    _make(session, "N-3", 30000, project="庄原の桜を次の世代へ", project_id=sakura.id)
    client = login(make_user(Role.OPERATOR))

    def numbers(html: str) -> list[str]:
        return re.findall(r"<small>(N-\d)</small>", html)

    everything = client.get("/staff/donations").get_data(as_text=True)
    assert numbers(everything) == ["N-3", "N-2", "N-1"]
    assert 'class="chips"' not in everything
    relief = client.get("/staff/donations?kind=disaster_relief").get_data(as_text=True)
    assert numbers(relief) == ["N-2"]
    assert "種類：災害支援" in relief
    chip = re.search(r'<a class="chip" href="([^"]+)">種類：', relief)
    assert chip and "kind=" not in chip.group(1)
    crowd = client.get("/staff/donations?kind=crowdfunding&portal=standard")
    html = crowd.get_data(as_text=True)
    assert numbers(html) == ["N-3"]
    assert "種類：クラウドファンディング" in html and "ポータル：標準CSV" in html
    assert numbers(client.get("/staff/donations?kind=regular").get_data(as_text=True)) == ["N-1"]
    bogus = client.get("/staff/donations?kind=nonsense").get_data(as_text=True)
    assert numbers(bogus) == ["N-3", "N-2", "N-1"] and 'class="chips"' not in bogus


def test_detail_says_disaster_relief_and_project(session, login, make_user, make_project):
    sakura = make_project()
    relief = _make(session, "N-1", 10000, disaster_relief=True)
    crowd = _make(session, "N-2", 10000, project="庄原の桜を次の世代へ", project_id=sakura.id)
    client = login(make_user(Role.OPERATOR))
    html = client.get(f"/staff/donations/{relief.id}").get_data(as_text=True)
    assert "<dd>災害支援の寄附</dd>" in html
    html = client.get(f"/staff/donations/{crowd.id}").get_data(as_text=True)
    assert f'/staff/projects/{sakura.id}">庄原の桜を次の世代へ</a>' in html
    assert "<dd>災害支援の寄附</dd>" not in html


def test_dashboard_counts_relief_and_crowdfunding_separately(
    session, login, make_user, make_project
):
    sakura = make_project("桜")
    _make(session, "N-1", 10000)
    _make(session, "N-2", 20000, disaster_relief=True)
    _make(session, "N-3", 30000, project="桜", project_id=sakura.id, disaster_relief=True)
    for role in (Role.OPERATOR, Role.CITY):
        client = login(make_user(role))
        html = client.get("/staff/").get_data(as_text=True)
        assert f"{today_jst().year}年の寄附" in html
        assert "3件" in _figure(html, "total") and "60,000" in _figure(html, "total")
        assert "2件" in _figure(html, "disaster_relief")
        assert "50,000" in _figure(html, "disaster_relief")
        assert "1件" in _figure(html, "crowdfunding")
        assert "30,000" in _figure(html, "crowdfunding")
        client.get("/logout")


def test_direct_entry_form_sets_disaster_relief_and_project(
    session, login, make_user, make_project
):
    sakura = make_project()
    client = login(make_user(Role.OPERATOR))
    r = client.post(
        "/staff/donations/new",
        data={
            "donor_name": "庄原 花子",
            "amount": "10000",
            "applied_on": date(2026, 12, 1).isoformat(),
            "payment_method": "bank",
            "disaster_relief": "y",
            "project_id": str(sakura.id),
            "receipt_wanted": "y",
        },
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    d = session.scalar(sa.select(Donation).where(Donation.portal == Portal.DIRECT))
    assert d.disaster_relief and d.project == "庄原の桜を次の世代へ" and d.project_id == sakura.id
    form = client.get("/staff/donations/new").get_data(as_text=True)
    assert 'name="disaster_relief"' in form and 'name="project_id"' in form
