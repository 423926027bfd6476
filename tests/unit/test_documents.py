"""The mailing set PDF: what the donor, the tax office and the print room will read in it."""

from __future__ import annotations

import io
import logging
import subprocess
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from portal.core.money import format_yen
from portal.documents import mailing, rendering
from portal.documents.mailing import (
    MailingSet,
    manifest_csv,
    merge_batches,
    render_batch,
    render_set,
    render_sets,
)
from tests.conftest import pdf_text

BASE = MailingSet(
    set_id="B2027-0001-00042",
    donor_name="山田 花子",
    postal_code="727-0011",
    address="広島県庄原市東本町1丁目10番1号\nふるさと荘101号室",
    donation_number="D2026-0000042",
    amount=30000,
    received_on=date(2026, 12, 28),
    payment_method="クレジットカード",
    receipt_number="2026-000123",
    issued_on=date(2027, 1, 8),
)


def page_texts(pdf: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]


def squash(text: str) -> str:
    """Text extraction may break lines anywhere; compare without whitespace."""
    return "".join(text.split())


def test_receipt_shows_what_a_receipt_must(app):
    with app.app_context():
        pdf = render_set(BASE)
    text = squash(pdf_text(pdf))
    assert "寄附金受領証明書" in text
    assert "山田花子" in text
    assert "30,000円" in text
    assert "〒727-0011" in text
    assert "広島県庄原市東本町1丁目10番1号" in text
    # December donation paid in December keeps its December date, printed in January.
    assert "令和8年12月28日" in text
    assert "令和9年1月8日" in text  # issued on
    assert "2026-000123" in text
    assert "地方税法第37条の2・第314条の7" in text
    assert "庄原市長木山耕三" in text
    assert "再発行" not in text
    assert "申告特例申請書" not in text.replace("申告特例申請書（記入例", "")


def test_every_sheet_carries_set_id_and_page_of_set(app):
    one = replace(BASE, onestop_requested=True, donor_phone="090-1234-5678")
    with app.app_context():
        pdf = render_set(one)
    pages = page_texts(pdf)
    assert len(pages) == 4
    for k, text in enumerate(pages, start=1):
        assert f"B2027-0001-00042 · {k}/4" in text


def test_reissue_is_marked_with_its_date_and_keeps_the_number(app):
    again = replace(BASE, reissued=True, reissued_on=date(2027, 2, 3))
    with app.app_context():
        text = squash(pdf_text(render_set(again)))
    assert "再発行令和9年2月3日" in text
    assert "2026-000123" in text


def test_onestop_form_is_prefilled_but_leaves_my_number_blank(app):
    one = replace(
        BASE, onestop_requested=True, donor_phone="090-1234-5678", donor_kana="ヤマダ ハナコ"
    )
    with app.app_context():
        pages = page_texts(render_set(one))
    form = squash(pages[2])
    assert "寄附金税額控除に係る申告特例申請書" in form
    assert "様式第55号の5" in form
    for expected in (
        "山田花子",
        "ヤマダハナコ",
        "090-1234-5678",
        "令和8年12月28日",
        "30,000円",
        "庄原市長殿",
    ):
        assert expected in form
    assert "個人番号" in form
    assert "D2026-0000042" in form  # printed under the QR code
    # 地方税法施行規則 様式第55号の5 as published: the year heading is the donation's year.
    assert "令和8年寄附分市町村民税・道府県民税" in form
    for official in (
        "あなたが支出した地方団体に対する寄附金について、地方税法附則第7条第1項（第8項）の規定による"
        "寄附金税額控除に係る申告の特例（以下「申告の特例」という。）の適用を受けようとするときは",
        "（注1）上記に記載した内容に変更があった場合、申告特例対象年の翌年の1月10日までに、"
        "申告特例申請事項変更届出書を提出してください。",
        "（注2）申告の特例の適用を受けるために申請を行った者が、地方税法附則第7条第6項（第13項）",
        "1．当団体に対する寄附に関する事項",
        "2．申告の特例の適用に関する事項",
        "①及び②に該当する場合のみすることができます。",
        "①地方税法附則第7条第1項（第8項）に規定する申告特例対象寄附者である",
        "所得税法第120条第1項の規定による申告書を提出する義務がない者",
        "②地方税法附則第7条第2項（第9項）に規定する要件に該当する者である",
        "本申請書による申請を行う地方団体の数が5団体以下であると見込まれる者",
        "寄附金税額控除に係る申告特例申請書受付書",
    ):
        assert squash(official) in form, official
    assert "申請日の翌年1月1日" not in form
    example = squash(pages[3])
    assert "記入例" in example and "オンライン" in example and "1月10日必着" in example
    assert "翌年の1月10日までに「申告特例申請事項変更届出書」" in example


def test_onestop_form_heading_follows_the_donation_year(app):
    one = replace(BASE, onestop_requested=True, received_on=date(2027, 1, 5))
    with app.app_context():
        form = squash(page_texts(render_set(one))[2])
    assert "令和9年寄附分市町村民税・道府県民税" in form
    assert "令和8年寄附分" not in form


def test_qr_code_encodes_the_donation_number(app):
    pytest.importorskip("PIL")
    one = replace(BASE, onestop_requested=True)
    with app.app_context():
        pdf = render_set(one)
    images = [img for page in PdfReader(io.BytesIO(pdf)).pages for img in page.images]
    import segno

    expected = segno.make("D2026-0000042", error="m", micro=False)
    size = expected.symbol_size(scale=1, border=2)
    qr_images = [img for img in images if img.image.size == size]
    assert qr_images, "no QR image of the expected size in the PDF"
    got = qr_images[0].image.convert("1")
    dark = [[got.getpixel((x, y)) == 0 for x in range(size[0])] for y in range(size[1])]
    want = [[bool(v) for v in row] for row in expected.matrix_iter(scale=1, border=2)]
    assert dark == want


def test_batch_manifest_matches_the_pages(app):
    sets = [
        replace(
            BASE,
            set_id=f"S-{i}",
            donation_number=f"D-{i}",
            receipt_number=f"2026-{i:06d}",
            onestop_requested=i == 1,
        )
        for i in range(3)
    ]
    with app.app_context():
        first = render_batch(sets[:2])
        second = render_batch(sets[2:])
        merged = merge_batches([first, second])
        single = render_sets(sets)
        # Merging already merged files (no fragments left) gives the same pages.
        again = merge_batches([merge_batches([first]), merge_batches([second])])
    assert again.manifest == merged.manifest
    assert [(r.set_id, r.first_page, r.last_page) for r in merged.manifest] == [
        ("S-0", 1, 2),
        ("S-1", 3, 6),
        ("S-2", 7, 8),
    ]
    for pdf in (merged.pdf, single, again.pdf):
        pages = page_texts(pdf)
        assert len(pages) == 8
        for row in merged.manifest:
            for k, page in enumerate(range(row.first_page, row.last_page + 1), start=1):
                assert f"{row.set_id} · {k}/{row.pages}" in pages[page - 1]
    csv_text = manifest_csv(merged.manifest)
    assert (
        csv_text.splitlines()[0]
        == "set_id,donation_number,receipt_number,first_page,last_page,pages,onestop"
    )
    assert "S-1,D-1,2026-000001,3,6,4,True" in csv_text


def test_a_letter_that_overflows_its_sheet_is_refused(app):
    long_letter = replace(BASE, letter_text="\n".join(["ご寄附ありがとうございました。" * 4] * 60))
    with app.app_context(), pytest.raises(rendering.DocumentRenderError, match="overflowed"):
        render_set(long_letter)


def test_fetcher_refuses_anything_but_static_files_and_fonts():
    fetcher = rendering.StaticOnlyFetcher()
    ok = fetcher.fetch((rendering.STATIC_DIR / "img/documents/seal-sample.png").as_uri())
    assert ok.read()[:4] == b"\x89PNG"
    assert fetcher.fetch(rendering.FONT_FILES["IPAexMincho"].as_uri()).read()
    for url in (
        "file:///etc/passwd",
        "http://example.com/x.png",
        (rendering.STATIC_DIR / "../pyproject.toml").as_uri(),
    ):
        with pytest.raises(rendering.FatalURLFetchingError):
            fetcher.fetch(url)


def test_slow_font_subsetting_fails_loudly(app, monkeypatch):
    def fallback_warning(*_args, **_kwargs):
        logging.getLogger("weasyprint").warning(
            'Using fontTools instead of HarfBuzz-Subset for font "%s".', "IPAexMincho"
        )

    from weasyprint.pdf import fonts

    original = fonts.Font.subset

    def subset(self, to_unicode, hinting):
        fallback_warning()
        return original(self, to_unicode, hinting)

    monkeypatch.setattr(fonts.Font, "subset", subset)
    with app.app_context(), pytest.raises(rendering.DocumentRenderError, match="fontTools"):
        render_set(BASE)


def test_ipaex_font_is_embedded(app, tmp_path):
    with app.app_context():
        path = tmp_path / "set.pdf"
        path.write_bytes(render_set(replace(BASE, onestop_requested=True)))
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:]]
    assert rows, out
    assert all("IPAex" in row[0] for row in rows), out  # no fallback font slipped in
    assert all(row[-5] == "yes" for row in rows), out  # emb column


def test_letter_text_comes_from_the_city_config_unless_the_set_overrides_it(app, monkeypatch):
    monkeypatch.setitem(
        app.config, "THANK_YOU_LETTER", "このたびは特別なご寄附をありがとうございました。"
    )
    full_width = replace(BASE, postal_code="７２７００１１")
    with app.app_context():
        configured = squash(pdf_text(render_set(full_width)))
        own = squash(pdf_text(render_set(replace(BASE, letter_text="個別のお礼の言葉です。"))))
    assert "特別なご寄附をありがとうございました" in configured
    assert "〒727-0011" in configured
    assert "個別のお礼の言葉です" in own and "特別なご寄附" not in own


def many(n: int, **overrides) -> list[MailingSet]:
    names = ["山田 花子", "佐藤 一郎", "鈴木 陽菜", "高橋 翔"]
    return [
        replace(
            BASE,
            set_id=f"B2027-0002-{i:05d}",
            donor_name=names[i % 4] + str(i),
            donation_number=f"D2026-{i:07d}",
            receipt_number=f"2026-{i:06d}",
            amount=10000 * (i + 1),
            onestop_requested=i % 3 == 0,
            **overrides,
        )
        for i in range(n)
    ]


def test_fixed_layers_are_rendered_once_per_process_not_per_set(app):
    mailing.clear_fixed_layers()
    with app.app_context():
        before = mailing.FIXED_RENDERS
        first = render_batch(many(30))
        # letter (with and without the one-stop enclosure line), receipt, form, example
        assert mailing.FIXED_RENDERS - before == 5
        render_batch(many(12))
        assert mailing.FIXED_RENDERS - before == 5
    assert len(page_texts(first.pdf)) == first.page_count == 30 * 2 + 10 * 2


def test_each_set_shows_its_own_donor_on_its_own_pages(app):
    """Mis-enclosure guard: every page of a set carries its set id and its own donor's data,
    never a neighbour's (variable pages must not slip against their fixed layers)."""
    sets = many(6)
    with app.app_context():
        batch = merge_batches([render_batch(sets[:4]), render_batch(sets[4:], first_page=1)])
    pages = [squash(t) for t in page_texts(batch.pdf)]
    assert len(pages) == batch.page_count == 16
    for s, row in zip(sets, batch.manifest, strict=True):
        own = pages[row.first_page - 1 : row.last_page]
        assert len(own) == s.sheet_count
        name = squash(s.donor_name)
        for k, text in enumerate(own, start=1):
            assert f"{s.set_id}·{k}/{s.sheet_count}" in text
            others = [o for o in sets if o is not s]
            assert not any(o.set_id in text or squash(o.donor_name) in text for o in others)
        assert name in own[0] and name in own[1]  # window and receipt
        assert squash(s.receipt_number) in own[1] and format_yen(s.amount) in own[1]
        if s.onestop_requested:
            assert name in own[2] and s.donation_number in own[2]


def test_fixed_layers_are_stored_once_per_file(app):
    with app.app_context():
        small = render_sets(many(3))
        large = render_sets(many(60))
    reader = PdfReader(io.BytesIO(large))
    forms = {
        obj.idnum
        for page in reader.pages
        for obj in page["/Resources"]["/XObject"].values()
        if obj.get_object()["/Subtype"] == "/Form"
    }
    assert len(forms) == 5  # two letters, receipt, form, example: not one per page
    # 57 more sets (160 more pages) add only their variable layer: about 1 kB a page.
    assert (len(large) - len(small)) / 160 < 2_500


def test_font_subsets_with_one_name_hold_the_same_glyphs_in_a_merged_file(app):
    """Each chunk and fixed layer subsets the font on its own; a RIP that caches fonts by name
    must never draw a page with another subset's glyphs."""
    with app.app_context():
        merged = merge_batches([render_batch(many(2)), render_batch(many(5)[2:])])
    reader = PdfReader(io.BytesIO(merged.pdf))
    subsets: dict[str, set[bytes]] = {}
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if isinstance(obj, dict) and obj.get("/Type") == "/FontDescriptor":
            data = obj["/FontFile2"].get_object().get_data()
            subsets.setdefault(str(obj["/FontName"]), set()).add(data)
    assert len(subsets) > 4
    assert all(len(glyphs) == 1 for glyphs in subsets.values()), subsets.keys()


def test_a_long_address_is_set_smaller_and_printed_in_full(app):
    long_address = "\n".join(
        ["広島県庄原市東城町川西1234番地の5", "ふるさとマンション東城ABC棟", "1001号室", "山田様方"]
    )
    one = replace(BASE, address=long_address, onestop_requested=True)
    with app.app_context():
        pages = [squash(t) for t in page_texts(render_set(one))]
    for line in long_address.splitlines():
        assert squash(line) in pages[1] and squash(line) in pages[2]


def test_an_address_that_cannot_fit_even_smaller_is_refused(app):
    one = replace(BASE, address="\n".join(f"{i}丁目" for i in range(12)))
    with app.app_context(), pytest.raises(rendering.DocumentRenderError, match="does not fit"):
        render_set(one)


def test_an_address_too_long_for_the_envelope_window_is_set_smaller_not_cut_off(app):
    address = "\n".join(
        ["広島県庄原市東城町川西1234番地の5", "ふるさとマンション東城ABC棟", "1001号室", "山田様方"]
    )
    with app.app_context():
        letter = squash(page_texts(render_set(replace(BASE, address=address)))[0])
        with pytest.raises(rendering.DocumentRenderError, match="window"):
            render_set(replace(BASE, address="\n".join(f"{i}丁目" for i in range(2, 9))))
    assert all(squash(line) in letter for line in address.splitlines())
    assert "山田花子様" in letter and "B2027-0001-00042寄附番号D2026-0000042" in letter
