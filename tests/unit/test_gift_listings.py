"""Portal item IDs: a gift's listing on each portal, and the importer resolving through it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.donations.importers import import_file
from portal.donations.models import Donation
from portal.gifts.listings import ListingData, listings_of, resolver, set_listing

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
NUMERIC = (FIXTURES / "satofull_numeric.csv").read_bytes()


@pytest.fixture()
def gifts(make_gift):
    return {c: make_gift(code=c) for c in ("HB-001", "HJ-002", "BD-001")}


def test_listing_is_one_per_portal_and_an_id_names_one_gift(session, gifts, make_user):
    staff = make_user()
    set_listing(session, gifts["HB-001"], Portal.SATOFULL, ListingData("4809357"), by_user=staff)
    set_listing(
        session,
        gifts["HB-001"],
        Portal.SATOFULL,
        ListingData(
            "4809357", url="https://www.satofull.jp/products/detail.php?product_id=4809357"
        ),
        by_user=staff,
    )
    assert set(listings_of(session, gifts["HB-001"])) == {"satofull"}
    with pytest.raises(DomainError) as err:
        set_listing(
            session, gifts["HJ-002"], Portal.SATOFULL, ListingData("4809357"), by_user=staff
        )
    assert "HB-001" in str(err.value.message)
    # The same ID on another portal is another listing.
    set_listing(
        session,
        gifts["HJ-002"],
        Portal.CHOICE,
        ListingData("4809357", manage_code="K-9"),
        by_user=staff,
    )
    assert resolver(session, Portal.CHOICE) == {"4809357": "HJ-002", "K-9": "HJ-002"}
    set_listing(session, gifts["HB-001"], Portal.SATOFULL, None, by_user=staff)
    assert resolver(session, Portal.SATOFULL) == {}
    actions = session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.subject_type == "gift_listing")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "update", "create", "delete"]


def test_numeric_satofull_ids_are_listed_until_mapped_then_import(session, gifts):
    before = import_file(session, "satofull", NUMERIC, dry_run=True)
    assert before.new == 0
    assert before.unknown_ids == {"4809357": 3, "4809358": 1}
    assert "4809357" in str(before.rejected[0].reason)
    set_listing(session, gifts["HB-001"], Portal.SATOFULL, ListingData("4809357"), by_user=None)
    set_listing(session, gifts["HJ-002"], Portal.SATOFULL, ListingData("4809358"), by_user=None)
    after = import_file(session, "satofull", NUMERIC)
    assert after.summary() == "new=3 updated=0 unchanged=0 rejected=0 conflicts=0"
    d = session.scalar(sa.select(Donation).where(Donation.portal_order_no == "SF1000001"))
    assert [(ln.gift.code, ln.quantity) for ln in d.lines] == [("HB-001", 1), ("HJ-002", 2)]


def test_own_gift_code_still_works_beside_listings(session, gifts):
    set_listing(session, gifts["HJ-002"], Portal.SATOFULL, ListingData("4809358"), by_user=None)
    result = import_file(session, "satofull", (FIXTURES / "satofull.csv").read_bytes())
    assert result.new == 2  # HB-001 / HJ-002 / BD-001 by our own codes


def test_a_listing_id_wins_over_a_gift_code_that_looks_the_same(session, gifts):
    # チョイス's お礼の品ID happens to equal another gift's code: the portal's ID decides.
    set_listing(session, gifts["BD-001"], Portal.SATOFULL, ListingData("HB-001"), by_user=None)
    import_file(session, "satofull", (FIXTURES / "satofull.csv").read_bytes())
    d = session.scalar(sa.select(Donation).where(Donation.portal_order_no == "SF0000001"))
    assert [ln.gift.code for ln in d.lines] == ["BD-001"]


def test_preview_reports_rows_in_file_order_with_their_warnings(session, gifts):
    set_listing(session, gifts["HB-001"], Portal.SATOFULL, ListingData("4809357"), by_user=None)
    set_listing(session, gifts["HJ-002"], Portal.SATOFULL, ListingData("4809358"), by_user=None)
    seen = []
    result = import_file(session, "satofull", NUMERIC, dry_run=True, preview=seen.append)
    assert [(p.line, p.action, p.data.portal_order_no) for p in seen] == [
        (2, "new", "SF1000001"),
        (4, "new", "SF1000002"),
        (5, "new", "SF1000003"),
    ]
    first, second, third = seen
    assert [(w.kind, w.column, w.value) for w in first.warnings] == [
        ("question", "寄附者名", "?田 花子")
    ]
    assert [(w.kind, w.value, w.stored) for w in second.warnings] == [
        ("normalised", "ﾀｶﾊｼ ｲﾁｺ", "タカハシ イチコ")
    ]
    assert second.data.donor_name == "髙橋 ①子"  # no NFKC on names
    assert third.warnings == []
    assert result.warning_count == 2
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0


def test_preview_lists_updates_with_their_donation_number(session, gifts):
    set_listing(session, gifts["HB-001"], Portal.SATOFULL, ListingData("4809357"), by_user=None)
    set_listing(session, gifts["HJ-002"], Portal.SATOFULL, ListingData("4809358"), by_user=None)
    import_file(session, "satofull", NUMERIC)
    paid = NUMERIC.replace(b"2026/12/02,,", b"2026/12/02,2026/12/04,")
    seen = []
    import_file(session, "satofull", paid, dry_run=True, preview=seen.append)
    assert [(p.action, p.data.portal_order_no) for p in seen] == [("updated", "SF1000002")]
    assert seen[0].donation_no
