"""The invoice's base fee counts the month's donations per group in one grouped query
(`invoice.month_groups`): it must give what grouping the loaded donations by
`donation_group` gives, crowdfunding before gift, cancelled and other months left out."""

from __future__ import annotations

from datetime import date

from portal.donations.lifecycle import cancel_donation
from portal.monthly import invoice


def test_grouped_counts_match_the_donations_grouped_one_by_one(
    session, make_donation, make_project, frozen_clock
):
    from tests.conftest import jst

    frozen_clock.freeze(jst(2026, 12, 5, 10, 0))
    project = make_project("比和の森を守るプロジェクト")
    make_donation(amount=12000, paid_on=date(2026, 11, 2))  # gift
    make_donation(amount=13000, paid_on=date(2026, 11, 30))  # gift
    make_donation(lines=[], amount=7777, paid_on=date(2026, 11, 20))  # no gift
    make_donation(amount=50001, paid_on=date(2026, 11, 3),
                  project=project.title, project_id=project.id)  # crowdfunding, with a gift  # fmt: skip
    make_donation(lines=[], amount=20000, paid_on=date(2026, 11, 4),
                  project=project.title, project_id=project.id)  # crowdfunding  # fmt: skip
    cancel_donation(session, make_donation(amount=99999, paid_on=date(2026, 11, 5)), "二重申込")
    make_donation(amount=4444, paid_on=date(2026, 12, 1))  # another month
    make_donation(amount=5555, paid_on=None)  # not received
    session.flush()

    by_hand: dict[str, tuple[int, int]] = {}
    for d in invoice.month_donations(session, "2026-11"):
        count, amount = by_hand.get(invoice.donation_group(d), (0, 0))
        by_hand[invoice.donation_group(d)] = (count + 1, amount + d.amount)
    grouped = invoice.month_groups(session, "2026-11")
    assert (
        grouped
        == by_hand
        == {
            invoice.DonationGroup.GIFT: (2, 25000),
            invoice.DonationGroup.NO_GIFT: (1, 7777),
            invoice.DonationGroup.CROWDFUNDING: (2, 70001),
        }
    )
    assert list(grouped) == list(invoice.GROUP_LABELS)  # the invoice's line order
    assert invoice.month_groups(session, "2026-10") == dict.fromkeys(grouped, (0, 0))
