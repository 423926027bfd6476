"""Crowdfunding projects [6(9)]: progress is the sum of the project's donations, the importer
and direct entry tie donations to a project, the invoice bills them at the crowdfunding rate,
the public figure carries no personal data, and migration 0027 keeps existing data."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.crowdfunding import projects as uc
from portal.crowdfunding.models import ProjectState
from portal.donations.direct import DirectEntry, enter_direct_donation
from portal.donations.importers import import_file
from portal.donations.lifecycle import cancel_donation
from portal.donations.models import Donation, DonationKind, PaymentMethod
from portal.donations.queries import kind_clause
from portal.extensions import db
from portal.monthly import contract, invoice
from tests.conftest import database_at, insert_stored_donations, jst

CHOICE_HEADER = (
    "受付番号,申込日,入金日,支払方法,寄附金額,寄附者氏名,お礼の品コード,プロジェクト名\r\n"
)


def _choice(*rows: str) -> bytes:
    return (CHOICE_HEADER + "".join(r + "\r\n" for r in rows)).encode("cp932")


@pytest.fixture()
def gifts(make_gift):
    return {c: make_gift(code=c) for c in ("HB-001",)}


def _by_no(session) -> dict[str, Donation]:
    return {d.portal_order_no: d for d in session.scalars(sa.select(Donation))}


def test_progress_is_the_sum_of_the_projects_live_donations(
    session, make_project, make_donation, frozen_clock
):
    frozen_clock.freeze(jst(2026, 12, 10, 23, 30))  # 10 Dec in Japan (14:30 UTC)
    sakura = make_project(goal_amount=300_000, ends_on=date(2026, 12, 31))
    other = make_project("比婆牛の牧場を守る")
    paid = dict(lines=[], project_id=sakura.id)
    make_donation(amount=50_000, paid_on=date(2026, 12, 2), **paid)
    make_donation(amount=20_000, paid_on=date(2026, 12, 2), **paid)
    make_donation(amount=30_000, paid_on=None, applied_on=date(2026, 12, 5), **paid)  # unpaid
    gone = make_donation(amount=90_000, paid_on=date(2026, 12, 3), **paid)
    cancel_donation(session, gone, "重複")
    make_donation(amount=70_000, paid_on=date(2026, 12, 4), lines=[], project_id=other.id)
    make_donation(amount=10_000, paid_on=date(2026, 12, 4), lines=[])  # no project
    session.flush()

    got = uc.progress(session, sakura)
    listed = session.scalars(
        sa.select(Donation.amount).where(
            Donation.project_id == sakura.id, Donation.state != "cancelled"
        )
    ).all()
    assert got.amount == sum(listed) == 100_000
    assert (got.count, got.paid_amount, got.goal, got.percent) == (3, 70_000, 300_000, 33)
    assert (got.days_left, got.phase) == (21, "running")
    # the curve: every day from the start to today, the amounts adding up to the total
    assert got.days[0].day == date(2026, 12, 1) and got.days[-1].day == date(2026, 12, 10)
    assert [(d.day.day, d.count, d.amount) for d in got.days if d.count] == [
        (2, 2, 70_000),
        (5, 1, 30_000),
    ]
    assert got.days[-1].total == got.amount
    # the list shows the same figures
    rows = {p.id: (n, yen) for p, n, yen in uc.project_list(session)}
    assert rows[sakura.id] == (3, 100_000) and rows[other.id] == (1, 70_000)


def test_days_left_end_at_zero_and_a_project_without_goal_has_no_percent(
    session, make_project, frozen_clock
):
    frozen_clock.freeze(jst(2026, 12, 31, 0, 5))  # the last day, just after JST midnight
    last_day = uc.progress(session, make_project(ends_on=date(2026, 12, 31)))
    assert (last_day.days_left, last_day.phase) == (0, "running")
    frozen_clock.freeze(jst(2027, 1, 1, 0, 5))
    ended = uc.progress(
        session, make_project("終わった", ends_on=date(2026, 12, 31), goal_amount=0)
    )
    assert (ended.days_left, ended.phase, ended.percent) == (0, "ended", None)


def test_importer_ties_a_row_by_the_portal_project_id_then_by_the_title(session, make_project):
    sakura = make_project(listings={Portal.CHOICE: "GCF-1234"})
    forest = make_project("庄原の森を守る プロジェクト", gift_less=True)
    result = import_file(
        session,
        "choice",
        _choice(
            "C-1,2026/12/01,2026/12/01,クレジットカード決済,10000,庄原 太郎,,GCF-1234",
            # the title with other widths and spaces
            "C-2,2026/12/01,2026/12/01,クレジットカード決済,20000,庄原 花子,,庄原の森を守るﾌﾟﾛｼﾞｪｸﾄ",
            "C-3,2026/12/01,2026/12/01,クレジットカード決済,30000,庄原 次郎,,",
        ),
    )
    assert result.summary() == "new=3 updated=0 unchanged=0 rejected=0 conflicts=0"
    got = _by_no(session)
    assert (got["C-1"].project_id, got["C-1"].project) == (sakura.id, "GCF-1234")
    assert got["C-2"].project_id == forest.id and got["C-3"].project_id is None
    crowd = session.scalars(
        sa.select(Donation.portal_order_no).where(kind_clause(DonationKind.CROWDFUNDING))
    ).all()
    assert sorted(crowd) == ["C-1", "C-2"]
    # the ID is the portal's: another portal's file with the same text does not find it
    other = import_file(
        session,
        "standard",
        "受付番号,寄附日,決済方法,寄附金額,氏名,プロジェクト名\r\nS-1,2026/12/01,銀行振込,5000,庄原 三郎,GCF-1234\r\n".encode(),
    )
    assert other.unknown_projects == {"GCF-1234": 1}


@pytest.mark.usefixtures("gifts")
def test_unknown_project_rows_are_rejected_and_counted_once(session, make_project):
    make_project("返礼品なし", gift_less=True)
    result = import_file(
        session,
        "choice",
        _choice(
            "C-1,2026/12/01,2026/12/01,クレジットカード決済,10000,庄原 太郎,,知らないプロジェクト",
            "C-2,2026/12/01,2026/12/01,クレジットカード決済,10000,庄原 花子,,知らないプロジェクト",
            "C-3,2026/12/01,2026/12/01,クレジットカード決済,10000,庄原 次郎,HB-001,返礼品なし",
            "C-4,2026/12/01,2026/12/01,クレジットカード決済,10000,庄原 三郎,,",
        ),
    )
    assert result.summary() == "new=1 updated=0 unchanged=0 rejected=3 conflicts=0"
    assert result.unknown_projects == {"知らないプロジェクト": 2}
    reasons = [str(r.reason) for r in result.rejected]
    assert "知らないプロジェクト" in reasons[0] and "登録" in reasons[0]
    assert "返礼品なしのプロジェクト" in reasons[2]
    assert set(_by_no(session)) == {"C-4"}  # nothing half-imported


@pytest.mark.usefixtures("gifts")
def test_direct_entry_offers_open_projects_and_keeps_gift_less_ones_without_gifts(
    session, make_user, make_project
):
    staff = make_user(Role.OPERATOR)
    forest = make_project("森", gift_less=True)
    draft = make_project("準備中のもの", state=ProjectState.DRAFT)
    assert [p.title for p in uc.open_projects(session)] == ["森"]

    def entry(**kw) -> DirectEntry:
        return DirectEntry(
            donor_name="庄原 太郎", donor_kana="", postal_code="", address="", phone="",
            email="", amount=10000, applied_on=date(2026, 12, 1),
            payment_method=PaymentMethod.BANK, **kw,
        )  # fmt: skip

    with pytest.raises(DomainError, match="返礼品なし") as err:
        enter_direct_donation(
            session, entry(project_id=forest.id, gift_code="HB-001"), by_user=staff
        )
    assert err.value.field == "gift_code"
    with pytest.raises(DomainError) as err:
        enter_direct_donation(session, entry(project_id=draft.id), by_user=staff)
    assert err.value.field == "project_id"
    d = enter_direct_donation(session, entry(project_id=forest.id), by_user=staff)
    assert (d.project_id, d.project, d.lines) == (forest.id, "森", [])


def test_invoice_bills_tied_donations_at_the_crowdfunding_rate(
    session, make_project, make_donation, make_user, frozen_clock
):
    frozen_clock.freeze(jst(2026, 12, 5, 10, 0))
    staff = make_user(Role.OPERATOR)
    contract.add_rate(
        session, valid_from=date(2026, 4, 1), base_rate_bp=1200, no_gift_rate_bp=500,
        crowdfunding_rate_bp=850, mailing_unit_price=0, mailing_in_base=True,
        tax_rate_percent=10, by_user=staff,
    )  # fmt: skip
    sakura = make_project(starts_on=date(2026, 11, 1))
    make_donation(amount=40_000, lines=[], project_id=sakura.id, project="桜")
    make_donation(amount=20_001, lines=[], project_id=sakura.id, project="桜")
    gone = make_donation(amount=90_000, lines=[], project_id=sakura.id)
    cancel_donation(session, gone, "重複")
    # wording only (not tied to a project): an ordinary donation without a gift
    make_donation(amount=10_000, lines=[], project="どこかのプロジェクト")
    session.flush()
    draft = invoice.build(session, "2026-11")
    base = {ln.label: (ln.basis, ln.amount) for ln in draft.lines if ln.section == "base"}
    assert base[str(invoice.GROUP_LABELS[invoice.DonationGroup.CROWDFUNDING])] == (60_001, 5100)
    assert base[str(invoice.GROUP_LABELS[invoice.DonationGroup.NO_GIFT])] == (10_000, 500)


def test_public_figure_has_only_the_public_keys(session, make_project, make_donation):
    sakura = make_project()
    make_donation(lines=[], project_id=sakura.id, paid_on=date(2026, 12, 1))
    figure = uc.public_figure(sakura, uc.progress(session, sakura))
    assert tuple(figure) == uc.PUBLIC_KEYS
    assert "寄附 花子" not in str(figure) and "hanako" not in str(figure)
    assert uc.public_project(session, sakura.code.upper()) is sakura
    sakura.state = ProjectState.DRAFT
    assert uc.public_project(session, sakura.code) is None


def test_project_form_rules(session, make_user, make_project):
    staff = make_user(Role.OPERATOR)
    make_project("桜", code="sakura")

    def data(**kw) -> uc.ProjectInput:
        values = dict(code="mori", title="森", purpose="", goal_amount=100,
                      starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31))  # fmt: skip
        values.update(kw)
        return uc.ProjectInput(**values)

    for bad, where in (
        (data(code="Sakura"), "code"),  # taken (codes are lower case)
        (data(code="森"), "code"),
        (data(title=" 桜 "), "title"),  # the same title
        (data(goal_amount=0), "goal_amount"),
        (data(ends_on=date(2026, 11, 30)), "ends_on"),
    ):
        with pytest.raises(DomainError) as err:
            uc.save_project(session, bad, by_user=staff)
        assert err.value.field == where
    mori = uc.save_project(session, data(), by_user=staff)
    uc.save_listings(session, mori, {Portal.CHOICE: ("X-1", "")}, by_user=staff)
    other = make_project("別")
    with pytest.raises(DomainError) as err:
        uc.save_listings(session, other, {Portal.CHOICE: ("X-1", "")}, by_user=staff)
    assert err.value.field == "id_choice"
    uc.save_listings(session, mori, {Portal.CHOICE: ("", "")}, by_user=staff)
    assert mori.listings == []


def test_migration_0027_ties_existing_project_wordings_to_new_projects(tmp_path) -> None:
    with database_at(tmp_path, "0023"):
        rows = [
            (1, "桜を守る", date(2026, 10, 3)),
            (2, "桜を守る", date(2026, 11, 20)),
            (3, "ｻｸﾗを守る", date(2026, 9, 1)),  # another width: the same project
            (4, "", date(2026, 11, 1)),
        ]
        insert_stored_donations(
            [
                {"id": i, "donation_no": f"2026-{i:06d}", "portal_order_no": f"A{i}",
                 "project": text, "applied_on": day}
                for i, text, day in rows
            ]
        )  # fmt: skip
        upgrade()
        with db.engine.connect() as conn:
            projects = conn.execute(
                sa.text(
                    "SELECT id, code, title, goal_amount, starts_on, ends_on, state"
                    " FROM crowdfunding_project ORDER BY id"
                )
            ).all()
            tied = conn.execute(sa.text("SELECT id, project_id FROM donation ORDER BY id")).all()
        assert len(projects) == 2
        first, second = projects
        assert (first.code, first.title, first.goal_amount, first.state) == (
            "project-1", "サクラを守る", 0, "draft",
        )  # fmt: skip
        assert second.title == "桜を守る"
        assert [tuple(r) for r in tied] == [
            (1, second.id),
            (2, second.id),
            (3, first.id),
            (4, None),
        ]
        assert str(second.starts_on) == "2026-10-03" and str(second.ends_on) == "2026-11-20"
        downgrade(revision="0023")
        with db.engine.connect() as conn:
            names = {c["name"] for c in sa.inspect(conn).get_columns("donation")}
            assert "project_id" not in names and "project" in names
            assert "crowdfunding_project" not in sa.inspect(conn).get_table_names()
