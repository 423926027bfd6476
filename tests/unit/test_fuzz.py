"""Fuzz and property tests (Hypothesis): the CSV importers take anything a file can hold and
answer with counts and clear rejections, never an exception and never half a donation; the
postal-code, phone and kana normalisers and the tracking-number validators keep their promises
on any input. Kept fast: a modest number of examples, no deadline (the database is involved)."""

from __future__ import annotations

import codecs

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal.core.errors import DomainError
from portal.donations import normalise as norm
from portal.donations.importers import import_file
from portal.donations.matching import match_payments
from portal.donations.models import Donation, DonationLine
from portal.shipping.carriers.names import Carrier
from portal.shipping.carriers.tracking import validate_tracking

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

STANDARD_HEADER = [
    "受付番号", "寄附日", "入金日", "決済方法", "寄附金額", "氏名", "フリガナ", "郵便番号",
    "住所", "電話番号", "メールアドレス", "返礼品コード", "数量",
]  # fmt: skip
GOOD_ROW = [
    "S-1", "2026/12/01", "2026/12/01", "クレジットカード", "10000", "庄原 太郎", "ショウバラ タロウ",
    "727-0011", "広島県庄原市東本町1-1", "0824-72-1111", "taro@example.jp", "HB-001", "1",
]  # fmt: skip

# Cells as a portal export might mangle them: quotes, commas, CR/LF, NUL and other controls,
# full-width text, BOMs, very long values.
cell = st.one_of(
    st.sampled_from([*GOOD_ROW, "", '"', '""', "\r\n", "\n", "\x00", "\ufeff", "，", "=1+1"]),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="cp932", exclude_characters="¢£¬‖−〜"), max_size=30),
    st.integers(-(10**12), 10**12).map(str),
)
row = st.lists(cell, min_size=0, max_size=len(STANDARD_HEADER) + 3)
encoding = st.sampled_from(["cp932", "utf-8", "utf-8-sig", "utf-16", "latin-1", "euc_jp"])


def _csv(rows: list[list[str]], quote: bool) -> str:
    def q(c: str) -> str:
        return '"' + c.replace('"', '""') + '"' if quote else c

    return "".join(",".join(q(c) for c in r) + "\r\n" for r in rows)


def _encode(text: str, enc: str) -> bytes:
    return codecs.encode(text, enc, errors="replace")


def _check_import(session, data: bytes) -> None:
    """One import inside a savepoint undone afterwards: no exception, and every donation it
    wrote is whole (its lines and its required fields)."""
    savepoint = session.begin_nested()
    try:
        result = import_file(session, "standard", data)
        for rejected in result.rejected:
            assert str(rejected.reason).strip()  # a worded reason, not an empty one
        donations = session.scalars(sa.select(Donation)).all()
        assert len(donations) == len({d.portal_order_no for d in donations})
        assert len(donations) == int(result.summary().split()[0].split("=")[1])  # new=N
        for d in donations:
            assert d.donor_name and d.amount > 0 and d.donation_no
            lines = session.scalars(
                sa.select(DonationLine).where(DonationLine.donation_id == d.id)
            ).all()
            assert all(ln.quantity >= 1 for ln in lines)
    finally:
        savepoint.rollback()


@pytest.fixture()
def gift(make_gift):
    return make_gift(code="HB-001")


@pytest.mark.usefixtures("gift")
@FAST
@given(rows=st.lists(row, max_size=6), enc=encoding, quote=st.booleans())
@example(rows=[GOOD_ROW], enc="cp932", quote=False)
@example(rows=[[*GOOD_ROW[:5], '"庄原\n太郎', *GOOD_ROW[6:]]], enc="cp932", quote=False)
def test_the_standard_importer_never_raises_and_never_half_imports(session, rows, enc, quote):
    data = _encode(_csv([STANDARD_HEADER, *rows], quote), enc)
    _check_import(session, data)


@pytest.mark.usefixtures("gift")
@FAST
@given(junk=st.binary(max_size=400), keep_header=st.booleans(), cut=st.integers(0, 400))
def test_junk_bytes_anywhere_in_a_file_are_a_clear_rejection(session, junk, keep_header, cut):
    good = _encode(_csv([STANDARD_HEADER, GOOD_ROW, ["S-2", *GOOD_ROW[1:]]], False), "cp932")
    data = (good[:cut] + junk + good[cut:]) if keep_header else junk
    _check_import(session, data)


@FAST
@given(
    data=st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("cp932", "replace"))
)
def test_the_payment_statement_matcher_never_raises(session, data):
    savepoint = session.begin_nested()
    try:
        result = match_payments(
            session, b"\xe5\x8f\x97\xe4\xbb\x98\xe7\x95\xaa\xe5\x8f\xb7\n" + data
        )
        assert all(str(m.reason).strip() for m in result.mismatches)
    finally:
        savepoint.rollback()


# --- normalisers --------------------------------------------------------------------------

WIDE = str.maketrans("0123456789-", "０１２３４５６７８９－")


@given(st.text(max_size=40))
def test_postal_code_is_digits_idempotent_and_width_blind(value):
    code = norm.postal_code(value)
    assert code == "" or (code.isascii() and code.isdigit())
    assert norm.postal_code(code) == code
    assert norm.postal_code(value.translate(WIDE)) == norm.postal_code(value)


@given(st.text(max_size=40))
def test_phone_keeps_only_digits_and_inner_hyphens(value):
    phone = norm.phone(value)
    assert set(phone) <= set("0123456789-")
    assert not phone.startswith("-") and not phone.endswith("-")
    assert norm.phone(phone) == phone
    assert norm.digits(norm.phone(value.translate(WIDE))) == norm.digits(phone)


@given(st.text(max_size=40))
def test_kana_is_idempotent_and_leaves_no_hiragana(value):
    kana = norm.kana(value)
    assert norm.kana(kana) == kana
    assert not any("\u3041" <= ch <= "\u3096" for ch in kana)


@given(st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096), max_size=20))
def test_hiragana_and_its_katakana_give_the_same_furigana(value):
    import jaconv

    assert norm.kana(value) == norm.kana(jaconv.hira2kata(value))


# --- tracking numbers ---------------------------------------------------------------------


def _with_mod7(first_eleven: str) -> str:
    return first_eleven + str(int(first_eleven) % 7)


@given(carrier=st.sampled_from(list(Carrier)), raw=st.text(max_size=40))
def test_tracking_validation_answers_a_number_or_a_worded_refusal(carrier, raw):
    try:
        number = validate_tracking(carrier, raw)
    except DomainError as err:
        assert err.field == "tracking_no" and str(err.message).strip()
    else:
        assert number and number.isascii() and number == validate_tracking(carrier, number)


@given(
    carrier=st.sampled_from([Carrier.YAMATO, Carrier.SAGAWA, Carrier.JAPAN_POST]),
    digits=st.text(alphabet="0123456789", min_size=11, max_size=11),
    wrong=st.integers(1, 6),
    wide=st.booleans(),
)
def test_a_12_digit_number_passes_with_its_check_digit_and_fails_without(
    carrier, digits, wrong, wide
):
    good = _with_mod7(digits)
    typed = f"{good[:4]}-{good[4:8]}-{good[8:]}"
    assert validate_tracking(carrier, typed.translate(WIDE) if wide else typed) == good
    bad = good[:-1] + str((int(good[-1]) + wrong) % 7)
    with pytest.raises(DomainError):
        validate_tracking(carrier, bad)
