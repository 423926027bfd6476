"""The invoice and the monthly report as PDF (WeasyPrint) and xlsx (openpyxl).

xlsx cells hold values only: numbers as numbers, text forced to text (a description that
starts with "=" stays text, never a formula). Every invoice line names the record behind it
(its reference column); the report has one sheet per section ア〜カ.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl.worksheet.worksheet import Worksheet

from portal.core.dates import wareki
from portal.core.spreadsheet import new_workbook, workbook_bytes, xlsx_append
from portal.documents.rendering import html_to_pdf
from portal.monthly import charts
from portal.monthly.invoice import SECTION_LABELS, Draft
from portal.monthly.labels import (
    CONSULTATION_KINDS,
    PORTAL_NAMES,
    PROPOSAL_STATES,
    REPORT_STATES,
    SECTION_TITLES,
    line_kind_text,
)
from portal.monthly.models import Invoice, InvoiceKind, InvoiceLine, MonthlyReport
from portal.monthly.report import Figures, median_hours

CSS = "monthly.css"
REF_LABELS = {
    "donations": _l("寄附（受領日が対象月）"),
    "statement_line": _l("事業者明細の行"),
    "receipt_batch": _l("受領証明書の印刷バッチ"),
    "city_advertisement": _l("市が支払った広告費"),
    "contract_rate": _l("契約単価"),
}


def ref_text(line: InvoiceLine) -> str:
    return f"{REF_LABELS.get(line.ref_type, line.ref_type)} #{line.ref_id}" if line.ref_type else ""


def _put(ws: Worksheet, values: Iterable[Any]) -> None:
    """Through the one export writer: text stays text (never a formula, "=…" neutralised)."""
    xlsx_append(ws, [v if isinstance(v, int | float) or v is None else str(v) for v in values])


def _save(wb: Any) -> bytes:
    return workbook_bytes(wb)


# --- invoice ----------------------------------------------------------------------------


def _invoice_view(source: Invoice | Draft) -> dict[str, Any]:
    if isinstance(source, Invoice):
        return {
            "month": source.month, "number": source.number, "issued_on": source.issued_on,
            "credit": source.kind == InvoiceKind.CREDIT,
            "original": source.original.number if source.original else "",
            "reason": source.reason, "lines": source.lines, "taxable": source.taxable,
            "tax": source.tax, "total": source.total, "tax_note": source.tax_note,
        }  # fmt: skip
    return {
        "month": source.month, "number": "", "issued_on": None, "credit": False,
        "original": "", "reason": "", "lines": source.lines, "taxable": source.taxable,
        "tax": source.tax, "total": source.total, "tax_note": source.tax_note,
    }  # fmt: skip


def invoice_pdf(source: Invoice | Draft) -> bytes:
    view = _invoice_view(source)
    html = current_app.jinja_env.get_template("documents/monthly_invoice.html").render(
        inv=view, sections=SECTION_LABELS, ref_text=ref_text, wareki=wareki,
        city=current_app.config.get("CITY_NAME", "庄原市"),
    )  # fmt: skip
    pdf, _pages = html_to_pdf(html, CSS)
    return pdf


def invoice_xlsx(source: Invoice | Draft) -> bytes:
    view = _invoice_view(source)
    wb, ws = new_workbook(str(_l("請求書")))
    title = _l("赤伝（請求取消）") if view["credit"] else _l("請求書")
    _put(ws, [str(title), view["number"] or str(_l("未発行（下書き）"))])
    _put(ws, [str(_l("対象月")), view["month"]])
    if view["original"]:
        _put(ws, [str(_l("取り消す請求書")), view["original"], view["reason"]])
    _put(ws, [])
    _put(ws, [str(h) for h in (
        _l("区分"), _l("項目"), _l("内訳"), _l("数量"), _l("対象額"), _l("単価"),
        _l("返礼品代"), _l("送料"), _l("金額"), _l("根拠"),
    )])  # fmt: skip
    for line in view["lines"]:
        _put(ws, [
            SECTION_LABELS.get(line.section, line.section), line.label, line.detail,
            line.quantity, line.basis, line.unit_price, line.cost, line.shipping, line.amount,
            ref_text(line),
        ])  # fmt: skip
    _put(ws, [])
    _put(ws, [str(_l("課税対象額")), "", "", "", "", "", "", "", view["taxable"]])
    _put(ws, [str(_l("消費税")), view["tax_note"], "", "", "", "", "", "", view["tax"]])
    _put(ws, [str(_l("請求金額合計")), "", "", "", "", "", "", "", view["total"]])
    ws.freeze_panes = "A6"
    return _save(wb)


# --- monthly report ---------------------------------------------------------------------


def _category_label(key: str) -> str:
    from portal.support.models import CATEGORY_LABELS, Category

    try:
        return str(CATEGORY_LABELS[Category(key)])
    except ValueError:
        return str(_l("未分類"))


def report_context(f: Figures, report: MonthlyReport | None) -> dict[str, Any]:
    portal_rows = [
        (str(PORTAL_NAMES[r.portal]), r.ytd_amount, r.last_ytd_amount) for r in f.portals
    ]
    return {
        "f": f, "report": report, "titles": SECTION_TITLES, "portals": PORTAL_NAMES,
        "proposal_states": PROPOSAL_STATES, "consultation_kinds": CONSULTATION_KINDS,
        "report_states": REPORT_STATES, "median_hours": median_hours,
        "category_label": _category_label, "line_kind_text": line_kind_text,
        "comment": (lambda s: report.comment_for(s) if report else ""),
        "daily_svg": charts.daily_bars(
            f.days, title=str(_l("日別の寄附金額")),
            legend=str(_l("棒: 金額　数字: 件数　横軸: 日")),
        ),
        "portal_svg": charts.paired_bars(
            portal_rows, title=str(_l("ポータル別 年度累計の寄附金額")),
            this_label=str(_l("今年度")), last_label=str(_l("前年度同期")), unit=str(_l("円")),
        ),
    }  # fmt: skip


def report_pdf(f: Figures, report: MonthlyReport | None) -> bytes:
    html = current_app.jinja_env.get_template("documents/monthly_report.html").render(
        city=current_app.config.get("CITY_NAME", "庄原市"), **report_context(f, report)
    )
    pdf, _pages = html_to_pdf(html, CSS)
    return pdf


def _comment_row(ws: Worksheet, report: MonthlyReport | None, section: str) -> None:
    _put(ws, [])
    _put(ws, [str(_l("コメント")), report.comment_for(section) if report else ""])


def report_xlsx(f: Figures, report: MonthlyReport | None) -> bytes:
    wb, ws = new_workbook("ア 寄附")
    t = SECTION_TITLES
    _put(ws, [str(t["a"]), f.month])
    _put(ws, [str(h) for h in (
        _l("ポータル"), _l("当月件数"), _l("当月金額"), _l("年度累計件数"), _l("年度累計金額"),
        _l("前年度同期件数"), _l("前年度同期金額"),
    )])  # fmt: skip
    for r in f.portals:
        _put(ws, [PORTAL_NAMES[r.portal], r.count, r.amount, r.ytd_count, r.ytd_amount,
                  r.last_ytd_count, r.last_ytd_amount])  # fmt: skip
    _put(ws, [str(_l("合計")), f.count, f.amount, f.ytd_count, f.ytd_amount,
              f.last_ytd_count, f.last_ytd_amount])  # fmt: skip
    _put(ws, [])
    _put(ws, [str(_l("日付")), str(_l("件数")), str(_l("金額"))])
    for day, count, amount in f.days:
        _put(ws, [day.isoformat(), count, amount])
    _comment_row(ws, report, "a")

    ws = wb.create_sheet("イ 発送")
    _put(ws, [str(t["i"]), f.month])
    _put(ws, [str(h) for h in (
        _l("事業者"), _l("返礼品コード"), _l("返礼品名"), _l("区分"), _l("発送数"), _l("返礼品代"),
        _l("送料"), _l("市への請求"), _l("明細"),
    )])  # fmt: skip
    for st in f.statements:
        for ln in st.lines:
            _put(ws, [st.supplier.name, ln.gift_code, ln.gift_name,
                      line_kind_text(ln.kind, ln.resend_cause), ln.count, ln.cost_total,
                      ln.shipping_total, ln.total if ln.billable else 0,
                      f"statement #{st.id} line #{ln.id}"])  # fmt: skip
    _put(ws, [str(_l("合計（市への請求分）")), "", "", "", f.shipped_units, f.gift_cost,
              f.gift_shipping, f.gift_cost + f.gift_shipping])  # fmt: skip
    _put(ws, [str(_l("請求しない再送")), "", "", "", f.resent_units, "", "", f.not_billed])
    _comment_row(ws, report, "i")

    ws = wb.create_sheet("ウ 問合せ")
    d = f.desk
    _put(ws, [str(t["u"]), f.month])
    if d is not None:
        _put(ws, [str(_l("件数")), d.total])
        for key, n in sorted(d.by_category.items()):
            _put(ws, [str(_l("分類")), _category_label(key), n])
        _put(
            ws,
            [
                str(_l("初回応答 中央値（受付時間・時間）")),
                median_hours(d.first_response_median_min),
            ],
        )
        _put(
            ws,
            [
                str(_l("初回応答 90パーセンタイル（受付時間・時間）")),
                median_hours(d.first_response_p90_min),
            ],
        )
        _put(ws, [str(_l("解決 中央値（受付時間・時間）")), median_hours(d.resolution_median_min)])
        _put(
            ws,
            [
                str(_l("解決 90パーセンタイル（受付時間・時間）")),
                median_hours(d.resolution_p90_min),
            ],
        )
        _put(ws, [str(_l("苦情")), len(d.complaints)])
        for c in d.complaints:
            _put(ws, ["", c.id, c.subject, c.resolution])
    _comment_row(ws, report, "u")

    ws = wb.create_sheet("エ 発送書類")
    _put(ws, [str(t["e"]), f.month])
    _put(ws, [str(_l("送付通数")), f.sets_mailed])
    _put(ws, [str(_l("うち初回")), f.sets_by_kind.get("first", 0)])
    _put(ws, [str(_l("うち再発行")), f.sets_by_kind.get("reissue", 0)])
    _put(ws, [str(_l("うち宛所不明の再送")), f.sets_by_kind.get("remail", 0)])
    _put(ws, [str(_l("返戻（宛所不明）")), f.returned_mail])
    _put(ws, [str(_l("ワンストップ申請書の受付")), f.onestop_received])
    _put(ws, [str(_l("うち不備あり")), f.onestop_incomplete])
    for b in f.batches:
        _put(
            ws,
            [
                str(_l("バッチ")),
                b.label,
                b.mailed_on.isoformat() if b.mailed_on else "",
                len(b.items),
            ],
        )
    _comment_row(ws, report, "e")

    ws = wb.create_sheet("オ 開発提案")
    _put(ws, [str(t["o"]), f.month])
    _put(ws, [str(_l("事業者との協議")), f.consultations.get("total", 0)])
    for c in f.consultations.get("entries", []):
        _put(ws, [c.held_on.isoformat(), c.supplier.name, CONSULTATION_KINDS[c.kind], c.topic,
                  c.outcome])  # fmt: skip
    _put(ws, [])
    _put(ws, [str(_l("新規の返礼品提案")), len(f.proposals_new)])
    for prop in f.proposals_new:
        _put(ws, [prop.id, prop.supplier.name, prop.name, PROPOSAL_STATES[prop.state]])
    _put(ws, [str(_l("提案の状態（累計）"))])
    for state, n in f.proposal_states.items():
        if n:
            _put(ws, ["", PROPOSAL_STATES[state], n])  # type: ignore[index]
    _put(ws, [])
    _put(ws, [str(_l("紹介記事")), len(f.articles)])
    for a in f.articles:
        _put(
            ws,
            [
                a.published_on.isoformat(),
                a.title,
                PORTAL_NAMES[a.portal] if a.portal else "",
                a.url,
            ],
        )
    _comment_row(ws, report, "o")

    ws = wb.create_sheet("カ 情報発信")
    _put(ws, [str(t["ka"]), f.month])
    _put(ws, [str(h) for h in (
        _l("実施日"), _l("内容"), _l("媒体"), _l("費用"), _l("到達数"), _l("寄附件数"),
        _l("寄附金額"), _l("効果"),
    )])  # fmt: skip
    for p in f.promotions:
        _put(ws, [p.done_on.isoformat(), p.what, p.medium, p.cost, p.reach, p.donations_count,
                  p.donations_amount, p.effect])  # fmt: skip
    _put(
        ws,
        [str(_l("合計")), "", "", f.promotion_cost, "", f.promotion_donations, f.promotion_amount],
    )
    _put(ws, [str(_l("寄附1件あたりの費用")), f.cost_per_donation])
    _put(ws, [str(_l("費用1円あたりの寄附金額")), f.amount_per_yen])
    _comment_row(ws, report, "ka")
    if report is not None:
        ws = wb.create_sheet(str(_l("状態")))
        _put(ws, [str(_l("状態")), REPORT_STATES[report.state]])
    return _save(wb)


def sheet_values(data: bytes) -> Sequence[Any]:
    """Every cell value of every sheet (tests and the CLI check what was written)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
