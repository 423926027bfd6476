"""Label wording that is the same for every audience (portal names, proposal and statement
states, proposal fields)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.portals import PORTAL_LABELS as PORTAL_LABELS  # shared with the documents
from portal.crowdfunding.models import ProjectState
from portal.gifts.labels import PROPOSAL_STATE_LABELS as PROPOSAL_STATE_LABELS
from portal.gifts.proposal_models import ProposalState
from portal.payments.models import RunState
from portal.statements.labels import LINE_KIND_LABELS as LINE_KIND_LABELS  # shared
from portal.statements.labels import RESEND_CAUSE_LABELS as RESEND_CAUSE_LABELS
from portal.statements.models import StatementState

STATEMENT_STATE_LABELS = {
    StatementState.OPEN: _l("確認待ち"),
    StatementState.DISPUTED: _l("市が確認中"),
    StatementState.CONFIRMED: _l("確認済"),
}


RUN_STATE_LABELS = {
    RunState.DRAFT: _l("振込前"),
    RunState.PAID: _l("支払済"),
}


PROJECT_STATE_LABELS = {
    ProjectState.DRAFT: _l("準備中（非公開）"),
    ProjectState.OPEN: _l("公開中（受付中）"),
    ProjectState.CLOSED: _l("終了（結果を公開）"),
    ProjectState.ARCHIVED: _l("非公開"),
}
# Where a project's period is, on the staff page and the public figure.
PROJECT_PHASE_LABELS = {
    "upcoming": _l("開始前"),
    "running": _l("受付期間中"),
    "ended": _l("受付終了"),
}


# Status classes: text + colour, the alert colour where someone must act.
PROPOSAL_STATE_CLASS = {
    ProposalState.CHANGES_REQUESTED: "status--alert",
    ProposalState.REJECTED: "status--alert",
}

SHARED_KIND_LABELS = {
    "i": _l("イ 近隣の市町村と共同で定めたもの"),
    "ro": _l("ロ 広島県が県内の市町村と連携して定めたもの"),
    "ha": _l("ハ 広島県が地域資源として認定したもの"),
}

CRITERION_LABELS = {
    "1": _l("第1号 区域内で生産"),
    "2": _l("第2号 原材料の主要部分が区域内産"),
    "3": _l("第3号 主要な製造・加工が区域内"),
    "3i": _l("第3号イ 熟成肉・精米"),
    "3ro": _l("第3号ロ 企画立案のみ区域内（過半の付加価値）"),
    "4": _l("第4号 近隣産品と混在が避けられないもの"),
    "5": _l("第5号 市の広報のためのグッズ"),
    "6": _l("第6号 セット（地場産品7割以上）"),
    "7": _l("第7号 区域内で提供するサービス"),
    "7-2": _l("第7号の2 宿泊（県内のみで運営する事業者）"),
    "7-3i": _l("第7号の3イ 宿泊（調達費用が1人1泊5万円以下）"),
    "7-3ro": _l("第7号の3ロ 宿泊（特定非常災害の被災県）"),
    "7-4": _l("第7号の4 区域内で発電した電気"),
    "8": _l("第8号 共通返礼品"),
    "9": _l("第9号 災害時の代替品"),
    "voucher": _l("商品券・クーポン（地場産品のみ交換可）"),
    "set": _l("セット（基準に合う返礼品の組み合わせ）"),
}

PROPOSAL_FIELD_LABELS = {
    "name": _l("返礼品名"),
    "description": _l("説明"),
    "contents": _l("内容量"),
    "allergens": _l("アレルギー"),
    "best_before": _l("賞味期限"),
    "temperature": _l("温度帯"),
    "size": _l("サイズ"),
    "required_amount": _l("必要寄附額（円）"),
    "procurement_cost": _l("調達費用（円・税込）"),
    "shipping_fee": _l("送料（円）"),
    "capacity_per_month": _l("月あたりの提供可能数"),
    "season_from": _l("発送開始日（季節の返礼品）"),
    "season_until": _l("発送終了日"),
    "criterion": _l("該当する地場産品基準"),
    "materials": _l("原材料"),
    "steps": _l("製造・加工の工程"),
    "service_place": _l("サービスの提供場所"),
    "origin_details": _l("号ごとの情報"),
    "production_place": _l("生産地（住所）"),
    "processing_place": _l("加工地"),
    "mixing_reason": _l("混在が避けられない理由"),
    "qualifying_value_share": _l("地場産品部分の価額割合（%）"),
    "operator_in_prefecture": _l("宿泊事業者は広島県内のみで宿泊施設を運営していますか"),
    "brand_outside_prefecture": _l(
        "県外の宿泊施設のブランド名を冠していますか（フランチャイズ等）"
    ),
    "price_per_person_night": _l("1人1泊あたりの料金（円）"),
    "lodging_cost_per_person_night": _l("宿泊の調達に要する費用（1人1泊・円）"),
    "disaster_designation": _l("特定非常災害の名称と災害救助法の適用"),
    "value_added": _l("市内の工程で生じる付加価値"),
    "area_relevance": _l("サービスと庄原市との関連性"),
    "shared_kind": _l("共通返礼品の種類（イ・ロ・ハ）"),
    "set_components": _l("セットの品物と当たる号（1行に1つ）"),
    "disaster_name": _l("災害名"),
    "original_item": _l("本来の返礼品"),
    "voucher_scope": _l("使える品物・サービス"),
    "evidence": _l("証明書類（PDF）"),
    "photo": _l("写真"),
}
