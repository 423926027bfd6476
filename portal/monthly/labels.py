"""Wording the monthly documents print (the PDF and xlsx are made below the web layer)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.portals import PORTAL_LABELS
from portal.gifts.labels import PROPOSAL_STATE_LABELS
from portal.gifts.proposal_models import ConsultationKind
from portal.monthly.models import ReportEvent, ReportState
from portal.shipping.models import ResendCause
from portal.statements.labels import LINE_KIND_LABELS, RESEND_CAUSE_LABELS
from portal.statements.models import LineKind

PORTAL_NAMES = PORTAL_LABELS
PROPOSAL_STATES = PROPOSAL_STATE_LABELS
CONSULTATION_KINDS = {
    ConsultationKind.MEETING: _l("面談"),
    ConsultationKind.CALL: _l("電話"),
    ConsultationKind.VISIT: _l("訪問"),
    ConsultationKind.MAIL: _l("メール"),
}
REPORT_STATES = {
    ReportState.DRAFT: _l("作成中"),
    ReportState.SUBMITTED: _l("提出済（市の検査待ち）"),
    ReportState.RETURNED: _l("差戻し"),
    ReportState.ACCEPTED: _l("検査済"),
}
SECTION_TITLES = {
    "a": _l("ア 寄附の受入状況"),
    "i": _l("イ 返礼品の発送状況"),
    "u": _l("ウ 寄附者問合せ状況"),
    "e": _l("エ 寄附金受領証明書及びお礼状等の発送"),
    "o": _l("オ 返礼品等の開発及び提案"),
    "ka": _l("カ 寄附件数増加のための情報発信"),
}
EVENT_LABELS = {
    ReportEvent.CREATED.value: _l("作成"),
    ReportEvent.SUBMITTED.value: _l("提出"),
    ReportEvent.RETURNED.value: _l("差戻し"),
    ReportEvent.ACCEPTED.value: _l("検査済"),
}


def line_kind_text(kind: str, cause: str) -> str:
    """発送 / 再送（配送事故） / 訂正: how a statement line came about."""
    text = str(LINE_KIND_LABELS.get(LineKind(kind), kind)) if kind else ""
    if cause:
        text += f"（{RESEND_CAUSE_LABELS.get(ResendCause(cause), cause)}）"
    return text
