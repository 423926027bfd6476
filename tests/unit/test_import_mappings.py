"""Staff-edited import mappings: stored versions, history, validation, stale saves, preview."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.errors import Conflict
from portal.core.portals import Portal
from portal.donations.importers import import_file, stored
from portal.donations.importers.engine import header_key
from portal.donations.models import Donation

# A 標準CSV export from a portal that renamed 氏名 to 寄附者氏名 and words its 使途 its own way.
RENAMED = (
    "受付番号,寄附日,入金日,決済方法,寄附金額,寄附者氏名,返礼品コード,数量,寄附使途,ワンストップ希望\r\n"
    "R-1,2026/12/01,2026/12/01,クレジットカード,20000,庄原 花子,HB-001,1,こどもの未来のために,する\r\n"
    "R-2,2026/12/02,,銀行振込,10000,西城 一郎,HB-001,2,市長におまかせ,しない\r\n"
).encode()


@pytest.fixture()
def gift(make_gift):
    return make_gift(code="HB-001")


def _edited(data: dict) -> dict:
    columns = {k: v for k, v in data["columns"].items() if k != "氏名"}
    columns["寄附者氏名"] = "donor_name"
    return {**data, "columns": columns, "purposes": {"こどもの未来のために": "子育て・教育"}}


@pytest.mark.usefixtures("gift")
def test_an_edited_mapping_imports_a_file_the_default_refuses(session, make_user):
    staff = make_user(role="operator", name="取込 担当")
    refused = import_file(session, "standard", RENAMED, dry_run=True)
    assert refused.new == 0 and refused.mapping_version == 0
    assert str(refused.rejected[0].reason) == "見出し行に必要な列「氏名」がありません。"

    version, data = stored.current(session, "standard")
    row = stored.save(session, "standard", _edited(data), based_on=version, by_user=staff)
    assert row is not None and row.version == 1

    result = import_file(session, "standard", RENAMED)
    assert result.summary() == "new=2 updated=0 unchanged=0 rejected=0 conflicts=0"
    assert result.mapping_version == 1
    hanako = session.scalar(sa.select(Donation).where(Donation.portal_order_no == "R-1"))
    assert (hanako.portal, hanako.donor_name, hanako.purpose) == (
        Portal.STANDARD,
        "庄原 花子",
        "子育て・教育",
    )
    assert hanako.onestop_requested

    (entry,) = stored.history(session, "standard")
    assert entry.by_user.name == "取込 担当" and entry.at is not None
    assert {(c["section"], c["key"], c["old"], c["new"]) for c in entry.changes} == {
        ("columns", "氏名", "donor_name", None),
        ("columns", "寄附者氏名", None, "donor_name"),
        ("purposes", "こどもの未来のために", None, "子育て・教育"),
    }
    audit = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.subject_type == "import_mapping")
    ).all()
    assert [(a.action, a.subject_id, a.actor_user_id) for a in audit] == [
        ("update", "standard:1", staff.id)
    ]


def test_a_stale_save_is_refused_and_keeps_the_other_change(session, make_user):
    first, second = make_user(role="operator"), make_user(role="operator-admin")
    version, data = stored.current(session, "standard")  # both tabs open version 0
    stored.save(session, "standard", _edited(data), based_on=version, by_user=first)
    other = {**data, "payment_methods": {**data["payment_methods"], "PayPay": "card"}}
    with pytest.raises(Conflict) as err:
        stored.save(session, "standard", other, based_on=version, by_user=second)
    assert "別の人が保存しました（現在は版 1）" in str(err.value.message)
    now_version, now = stored.current(session, "standard")
    assert (
        now_version == 1
        and "寄附者氏名" in now["columns"]
        and "PayPay" not in now["payment_methods"]
    )


def test_revert_and_restore_are_new_versions_and_keep_every_earlier_one(session, make_user):
    staff = make_user(role="operator")
    _, data = stored.current(session, "standard")
    stored.save(session, "standard", _edited(data), based_on=0, by_user=staff)
    reverted = stored.revert_to_default(session, "standard", based_on=1, by_user=staff)
    assert reverted is not None and reverted.version == 2 and reverted.kind == "revert"
    assert stored.current(session, "standard")[1] == stored.default_data("standard")
    restored = stored.restore_version(session, "standard", 1, based_on=2, by_user=staff)
    assert restored is not None and (restored.version, restored.restored_from) == (3, 1)
    assert "寄附者氏名" in stored.effective_mapping(session, "standard").columns
    assert [r.version for r in stored.history(session, "standard")] == [3, 2, 1]
    assert stored.effective_mapping(session, "standard").version == 3
    # saving what is already in effect stores nothing
    assert (
        stored.save(
            session, "standard", stored.current(session, "standard")[1], based_on=3, by_user=staff
        )
        is None
    )


def test_validation_lists_every_problem_in_words_staff_can_act_on(session):
    _, data = stored.current(session, "rakuten")
    broken = {
        **data,
        "encoding": "klingon",
        "columns": {k: v for k, v in data["columns"].items() if v != "amount"} | {"X": "nope"},
        "payment_methods": {**data["payment_methods"], "PayPay": "cash"},
        "flags": {**data["flags"], "多分": "yes"},
        "date_formats": ["YYYY/MM/DD"],
        "colour": "blue",
    }
    with pytest.raises(stored.MappingInvalid) as err:
        stored.validate("rakuten", broken)
    assert [str(p) for p in err.value.problems] == [
        "知らない項目「colour」があります。",
        "文字コード「klingon」は使えません。",
        "見出し「X」の項目「nope」はありません。",
        "必須の項目「寄附金額」の見出しがありません。",
        "「決済方法の表記」の「PayPay」の値「cash」は使えません。",
        "「多分」は true か false にしてください。",
        "日付の形式「YYYY/MM/DD」に %Y などの指定がありません。",
    ]
    with pytest.raises(stored.MappingInvalid):
        stored.save(session, "rakuten", broken, based_on=0, by_user=None)
    assert stored.latest(session, "rakuten") is None


def test_two_headers_read_alike_may_not_feed_different_fields():
    data = stored.default_data("standard")
    data["columns"]["（必須）受付番号"] = "amount"
    with pytest.raises(stored.MappingInvalid) as err:
        stored.validate("standard", data)
    assert "同じ見出しとして読まれますが" in str(err.value.problems[0])


def test_the_sample_preview_shows_matches_and_parsed_rows_without_writing(session, gift):
    default = stored.effective_mapping(session, "standard")
    refused = stored.preview_sample(default, RENAMED, known_codes={gift.code})
    assert refused.missing == ["donor_name"]
    assert ("寄附者氏名", None) in refused.columns and refused.rows == []
    assert str(refused.error) == "見出し行に必要な列「氏名」がありません。"

    edited = stored.build("standard", _edited(stored.default_data("standard")))
    preview = stored.preview_sample(edited, RENAMED, known_codes={gift.code})
    assert preview.error is None and preview.missing == []
    assert ("寄附者氏名", "donor_name") in preview.columns
    assert [
        (r.order_no, r.name, r.amount, r.purpose, r.purpose_raw, r.onestop, r.paid, r.error)
        for r in preview.rows
    ] == [
        ("R-1", "庄原 花子", 20000, "子育て・教育", "こどもの未来のために", True, True, None),
        ("R-2", "西城 一郎", 10000, "市長におまかせ", "市長におまかせ", False, False, None),
    ]
    unknown = stored.preview_sample(edited, RENAMED, known_codes=set())
    assert str(unknown.rows[0].error) == "返礼品コード HB-001 は登録されていません。"
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("注文者郵便番号１", "注文者郵便番号1"),
        ("注文者住所：都道府県", "注文者住所都道府県"),
        ("  （必須）注文番号 ", "注文番号"),
        ("【必須】注文番号", "注文番号"),
        ("注文番号(必須)", "注文番号"),
        ("［送付先］住所", "送付先住所"),
        ("\ufeff受付番号", "受付番号"),
        ("必須項目", "必須項目"),
    ],
)
def test_header_matching_is_tolerant_the_way_real_exports_need(header, key):
    assert header_key(header) == key


def test_a_renamed_rakuten_option_is_read_once_staff_add_its_item_name(session):
    """A shop renames its 項目 「寄附金の使い道」: unmapped, the 使途 is lost (a shop may add
    項目 of its own, so they are skipped); with the new 項目名 in the mapping it is read."""
    fixture = Path(__file__).parent.parent / "fixtures" / "imports" / "rakuten.csv"
    sample = fixture.read_bytes().decode("cp932").replace("寄附金の使い道", "寄附の使いみち")
    data = sample.encode("cp932")
    default = stored.preview_sample(stored.effective_mapping(session, "rakuten"), data)
    assert ("寄附の使いみち", None) in default.option_names
    assert default.rows[0].purpose == ""
    raw = stored.default_data("rakuten")
    raw["options"]["寄附の使いみち"] = "purpose"
    edited = stored.preview_sample(stored.build("rakuten", stored.validate("rakuten", raw)), data)
    assert ("寄附の使いみち", "purpose") in edited.option_names
    assert (edited.rows[0].purpose, edited.rows[0].purpose_raw) == (
        "子育て・教育",
        "子育て・教育の充実",
    )


def test_two_saves_racing_for_the_same_version_the_unique_index_refuses_the_second(
    session, make_user, monkeypatch
):
    """Both requests read version 0 before either wrote: the second insert of version 1 hits
    the (portal, version) index and is refused as stale, and the first save stands."""
    staff = make_user(role="operator")
    _, data = stored.current(session, "standard")
    stored.save(session, "standard", _edited(data), based_on=0, by_user=staff)
    default = stored.default_data("standard")
    monkeypatch.setattr(stored, "current", lambda _s, _p: (0, default))  # read before the write
    other = {**default, "payment_methods": {**default["payment_methods"], "PayPay": "card"}}
    with pytest.raises(Conflict):
        stored.save(session, "standard", other, based_on=0, by_user=staff)
    monkeypatch.undo()
    assert [r.version for r in stored.history(session, "standard")] == [1]
    assert "PayPay" not in stored.current(session, "standard")[1]["payment_methods"]


@pytest.mark.parametrize("portal", stored.PORTALS)
def test_every_shipped_default_passes_the_schema(portal):
    """A default that failed validation could never be restored or edited as JSON."""
    assert stored.validate(portal, stored.default_data(portal)) == stored.default_data(portal)
