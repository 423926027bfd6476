"""Wording of the staff pages' labels, in one place (translatable)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.models import SupplierStatus
from portal.core.jobs import JobState
from portal.donations.models import DonationKind, DonationState, LineHold
from portal.donations.substitution import (
    ConsentChannel,
)
from portal.gifts.models import (
    GiftStatus,
)
from portal.gifts.proposal_models import ConsultationKind, ProposalState
from portal.receipts.models import (
    BatchStatus,
    ItemKind,
    ReceiptStatus,
)
from portal.shipping.models import OrderStatus

SUBJECT_LABELS = {
    "donation": _l("寄附"),
    "order": _l("注文"),
    "supplier_orders": _l("事業者の注文一覧"),
    "support_conversation": _l("問い合わせ"),
    "support_analysis": _l("問い合わせ分析"),
    "analytics": _l("寄附の分析"),
    "statement_month": _l("月次明細"),
    "user": _l("アカウント"),
    "audit_log": _l("操作ログ"),
    "handover": _l("引継ぎデータ"),
    "import_mapping": _l("取込形式の対応表"),
    "import_sample": _l("取込形式のサンプル"),
    "donation_import": _l("寄附データ取り込み"),
    "gift_listing": _l("返礼品の掲載ID"),
    "gift": _l("返礼品"),
    "proposal": _l("返礼品の提案"),
    "statement": _l("月次明細"),
    "receipt": _l("受領証明書"),
    "receipt_batch": _l("印刷バッチ"),
    "donor_request": _l("寄附者からの申請"),
    "supplier": _l("事業者"),
}

# Known actions and subjects in plain words; anything else is shown as recorded.
ACTION_LABELS = {
    "view": _l("閲覧"),
    "list": _l("一覧の閲覧"),
    "export": _l("書き出し"),
    "download": _l("ダウンロード"),
    "update": _l("変更"),
    "create": _l("登録"),
    "delete": _l("削除"),
    "statement.export": _l("明細の書き出し"),
    "totp.enrolled": _l("確認コードアプリの登録"),
    "totp.reset": _l("確認コードの再設定"),
    "login.succeeded": _l("ログイン（パスワード）"),
    "login.failed": _l("ログイン失敗"),
    "login.totp_succeeded": _l("ログイン（確認コード）"),
    "login.totp_failed": _l("確認コードの誤り"),
    "logout": _l("ログアウト"),
    "money.paid": _l("入金の記録"),
    "money.cancelled": _l("寄附の取消"),
    "money.required_amount": _l("必要寄附額の変更"),
    "money.statement_corrected": _l("明細の金額修正"),
    "stock.set": _l("在庫数の設定"),
    "stock.added": _l("在庫の追加"),
    "stock.moved": _l("在庫の移動"),
    "stock.thresholds": _l("在庫しきい値の変更"),
    "stock.paused": _l("受付の停止"),
    "stock.resumed": _l("受付の再開"),
    "approval.approved": _l("提案の承認"),
    "approval.rejected": _l("提案の却下"),
    "approval.changes_requested": _l("提案の修正依頼"),
    "approval.recommended": _l("提案の推薦"),
    "approval.under_review": _l("提案の審査開始"),
    "approval.submitted": _l("提案の提出"),
    "approval.resubmitted": _l("提案の再提出"),
    "approval.confirmed": _l("明細の確定"),
    "approval.disputed": _l("明細の確認依頼"),
    "approval.request_approved": _l("申請の承認"),
    "approval.request_corrected": _l("申請の修正対応"),
    "approval.request_refused": _l("申請のお断り"),
    "role.granted": _l("権限の付与"),
}

KIND_LABELS = {
    ConsultationKind.MEETING: _l("面談"),
    ConsultationKind.CALL: _l("電話"),
    ConsultationKind.VISIT: _l("訪問"),
    ConsultationKind.MAIL: _l("メール"),
}

JOB_STATE_LABELS = {
    JobState.QUEUED: _l("待機中"),
    JobState.RUNNING: _l("実行中"),
    JobState.DONE: _l("完了"),
    JobState.FAILED: _l("失敗"),
}

CONSENT_LABELS = {
    ConsentChannel.PHONE: _l("電話"),
    ConsentChannel.EMAIL: _l("メール"),
    ConsentChannel.WEB: _l("ウェブ"),
}

METHOD_LABELS = {
    "bank": _l("銀行振込"),
    "postal": _l("郵便振替"),
    "cash_registered": _l("現金書留"),
    "payment_slip": _l("納付書"),
    "other": _l("その他"),
}

EVENT_LABELS = {
    "donation.received": _l("寄附を受け付けました"),
    "donation.paid": _l("入金を確認しました"),
    "donation.cancelled": _l("寄附を取り消しました"),
    "donation.updated": _l("取り込みで内容が更新されました"),
    "order.created": _l("事業者へ発注しました"),
    "line.held": _l("在庫超過のため保留しました"),
    "line.released": _l("在庫を確保し保留を解除しました"),
    "line.substituted": _l("寄附者の同意を得て返礼品を代替品に変更しました"),
    "order.shipped": _l("事業者が発送しました"),
    "order.shipment_corrected": _l("発送の登録を訂正しました"),
    "order.correction_reason": _l("発送訂正の理由（内部記録）"),
    "order.delivered": _l("配達済になりました"),
    "order.resent": _l("返礼品を再送しました"),
    "delivery.problem": _l("配送の問題が報告されました"),
    "delivery.problem_resolved": _l("配送の問題が解決しました"),
    "receipt.issued": _l("寄附金受領証明書を発行しました"),
    "receipt.mailed": _l("寄附金受領証明書を郵送しました"),
    "receipt.returned": _l("寄附金受領証明書が宛所不明で戻りました"),
    "receipt.reissued": _l("寄附金受領証明書を再発行しました"),
    "receipt.address_fixed": _l("書類の送付先を確認し直しました"),
    "onestop.sent": _l("ワンストップ特例申請書を送付しました"),
    "onestop.received": _l("ワンストップ特例申請書を受け付けました"),
    "onestop.change_received": _l("申告特例申請事項変更届出書を受け付けました"),
    "request.opened": _l("寄附者から申請がありました"),
    "request.updated": _l("寄附者の申請に対応しました"),
}

HOLD_LABELS = {
    LineHold.NONE: _l("確保済"),
    LineHold.STOCK: _l("在庫超過"),
    LineHold.WINDOW: _l("受付期間外"),
    LineHold.CANCELLED: _l("取消"),
}

DONATION_KIND_LABELS = {
    DonationKind.DISASTER_RELIEF: _l("災害支援"),
    DonationKind.CROWDFUNDING: _l("クラウドファンディング"),
    DonationKind.REGULAR: _l("通常の寄附"),
}

STATE_LABELS = {
    DonationState.RECEIVED: _l("受付"),
    DonationState.PAID: _l("入金済"),
    DonationState.CANCELLED: _l("取消"),
}

STATUS_LABELS = {
    GiftStatus.DRAFT: _l("準備中"),
    GiftStatus.LISTED: _l("掲載中"),
    GiftStatus.PAUSED: _l("一時停止"),
    GiftStatus.ENDED: _l("終了"),
}

ORDER_STATUS_LABELS = {
    OrderStatus.ORDERED: _l("発注済"),
    OrderStatus.SHIPPED: _l("発送済"),
    OrderStatus.DELIVERED: _l("配達済"),
    OrderStatus.CANCELLED: _l("取消"),
}

MOVE_LABELS = {
    ProposalState.UNDER_REVIEW: _l("審査を始める"),
    ProposalState.CHANGES_REQUESTED: _l("修正を依頼"),
    ProposalState.RECOMMENDED: _l("市へ推薦"),
    ProposalState.APPROVED: _l("承認"),
    ProposalState.REJECTED: _l("不承認"),
}

JOB_LABELS = {
    JobState.QUEUED: _l("待機中"),
    JobState.RUNNING: _l("作成中"),
    JobState.DONE: _l("完了"),
    JobState.FAILED: _l("失敗"),
}

RECEIPT_KIND_LABELS = {
    ItemKind.FIRST: _l("初回"),
    ItemKind.REISSUE: _l("再発行"),
    ItemKind.REMAIL: _l("再送"),
}

BATCH_LABELS = {
    BatchStatus.RENDERING: _l("作成中"),
    BatchStatus.HELD: _l("確認待ち"),
    BatchStatus.READY: _l("印刷待ち"),
    BatchStatus.MAILED: _l("発送済"),
    BatchStatus.FAILED: _l("失敗"),
}

RECEIPT_STATUS_LABELS = {
    ReceiptStatus.DUE: _l("発行待ち"),
    ReceiptStatus.ISSUED: _l("印刷済"),
    ReceiptStatus.MAILED: _l("発送済"),
    ReceiptStatus.RETURNED: _l("返戻"),
}

SUPPLIER_STATUS_LABELS = {
    SupplierStatus.ACTIVE: _l("取引中"),
    SupplierStatus.SUSPENDED: _l("停止中"),
    SupplierStatus.WITHDRAWN: _l("取引終了"),
}

# why a portal listing must close (gifts/stock.CloseReason values)
CLOSE_REASONS = {
    "empty": _l("割当が0"),
    "paused": _l("受付停止中"),
    "window": _l("受付期間外"),
}


def import_counts(result: dict[str, Any]) -> str:
    """An import's counts in the words of the dashboard's 最近の寄附データ取り込み (the same
    wording there, in the flash after applying, and on the result page)."""
    return _(
        "新規 %(new)s・更新 %(updated)s・変更なし %(unchanged)s・不備 %(rejected)s・競合 %(conflicts)s",
        new=result.get("new", 0),
        updated=result.get("updated", 0),
        unchanged=result.get("unchanged", 0),
        rejected=result.get("rejected_count", 0),
        conflicts=result.get("conflict_count", 0),
    )
