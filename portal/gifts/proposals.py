"""Use cases for gift proposals: drafting, the 地場産品基準 / 3割 checks, the review workflow,
files, and turning an approved proposal into a catalogue gift.

Every function flushes and never commits; the caller commits once.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.audit import audit
from portal.core.database import rowcount
from portal.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from portal.core.models import utcnow
from portal.core.roles import Role
from portal.core.timeline import record_event
from portal.gifts.models import Gift, GiftStatus, TemperatureBand
from portal.gifts.proposal_models import (
    EDITABLE_STATES,
    PROPOSAL_FIELDS,
    TRANSITIONS,
    GiftOrigin,
    Proposal,
    ProposalEvent,
    ProposalFile,
    ProposalFileKind,
    ProposalState,
    ProposalVersion,
)

if TYPE_CHECKING:
    from portal.accounts.models import User

CRITERIA_FILE = Path(__file__).with_name("criteria.json")
SUBJECT = "gift_proposal"
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 2000
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
HOME_PREFECTURE = "広島県"
HOME_MUNICIPALITY = "庄原市"
# Municipalities of 広島県, so an origin written without the prefecture still counts for 3イ.
# (府中市 is left out on purpose: Tokyo has one too; write 広島県府中市.)
HIROSHIMA_MUNICIPALITIES = frozenset(
    [
        "広島市",
        "呉市",
        "竹原市",
        "三原市",
        "尾道市",
        "福山市",
        "三次市",
        "庄原市",
        "大竹市",
        "東広島市",
        "廿日市市",
        "安芸高田市",
        "江田島市",
        "府中町",
        "海田町",
        "熊野町",
        "坂町",
        "安芸太田町",
        "北広島町",
        "大崎上島町",
        "世羅町",
        "神石高原町",
    ]
)


@cache
def criteria() -> dict[str, dict[str, Any]]:
    """The 号 of 告示第179号第5条 by code, from criteria.json (wording and sources live there)."""
    data = json.loads(CRITERIA_FILE.read_text(encoding="utf-8"))
    return {c["code"]: c for c in data["criteria"]}


# Yes/no facts a 号 asks: not answered is its own message (False is an answer).
YES_NO_DETAILS = {
    "operator_in_prefecture": _l(
        "宿泊事業者が広島県内のみで宿泊施設を運営しているかを選んでください。"
    ),
    "brand_outside_prefecture": _l(
        "県外の宿泊施設のブランド名を冠する施設（フランチャイズ等）かどうかを選んでください。"
    ),
}


@dataclass(frozen=True)
class Finding:
    field: str
    message: Any  # lazy translated string


def _is_local(place: str) -> bool:
    place = (place or "").strip()
    return HOME_MUNICIPALITY in place and (
        place.startswith(HOME_MUNICIPALITY) or place.startswith(HOME_PREFECTURE)
    )


def _in_prefecture(place: str) -> bool:
    place = (place or "").strip()
    return place.startswith(HOME_PREFECTURE) or any(
        place.startswith(m) for m in HIROSHIMA_MUNICIPALITIES
    )


def _share(row: dict[str, Any]) -> float:
    try:
        return float(row.get("share") or 0)
    except (TypeError, ValueError):
        return 0.0


# The 3割 rule lives on Gift; proposals check the figures before the gift exists.
return_ratio_exceeded = Gift.over_return_limit


def assess(p: Proposal, *, has_evidence: bool | None = None) -> list[Finding]:
    """Everything that stops this proposal from being submitted or approved, per field.

    Shown live while the supplier types (as warnings) and enforced on submit and approval.
    """
    found: list[Finding] = []
    if not p.name.strip():
        found.append(Finding("name", _l("返礼品名を入力してください。")))
    if not p.required_amount or p.required_amount <= 0:
        found.append(Finding("required_amount", _l("必要寄附額を入力してください。")))
    if p.procurement_cost is None:
        found.append(Finding("procurement_cost", _l("調達費用を入力してください。")))
    if p.shipping_fee is None:
        found.append(Finding("shipping_fee", _l("送料を入力してください。")))
    if p.temperature is None:
        found.append(Finding("temperature", _l("温度帯を選んでください。")))
    if return_ratio_exceeded(p.required_amount, p.procurement_cost):
        found.append(
            Finding(
                "procurement_cost",
                _l(
                    "調達費用が必要寄附額の30%を超えています（3割ルール。送料は含めません）。"
                    "調達費用を下げるか、必要寄附額を見直してください。"
                ),
            )
        )
    crit = criteria().get(p.criterion)
    if crit is None:
        found.append(Finding("criterion", _l("該当する地場産品基準（号）を選んでください。")))
        return found
    details = p.origin_details or {}
    local_materials = [m for m in p.materials or [] if _is_local(m.get("origin", ""))]
    local_steps = [s for s in p.steps or [] if _is_local(s.get("place", ""))]
    if has_evidence is None:  # a transient copy for live checks passes it in
        has_evidence = any(f.kind == ProposalFileKind.EVIDENCE for f in p.files)

    for req in crit["required"]:
        if req == "materials" and not p.materials:
            found.append(Finding("materials", _l("原材料と産地、割合を入力してください。")))
        elif req == "steps" and not p.steps:
            found.append(
                Finding("steps", _l("製造・加工の工程と場所、付加価値の割合を入力してください。"))
            )
        elif req == "service_place" and not p.service_place.strip():
            found.append(Finding("service_place", _l("サービスの提供場所を入力してください。")))
        elif req == "evidence" and not has_evidence:
            found.append(Finding("evidence", _l("この号では証明書類（PDF）の添付が必要です。")))
        elif req in YES_NO_DETAILS and req not in details:
            found.append(Finding(req, YES_NO_DETAILS[req]))
        elif req not in {
            "materials",
            "steps",
            "service_place",
            "evidence",
            *YES_NO_DETAILS,
        } and details.get(req) in (None, ""):
            found.append(Finding(req, _l("この号で必要な項目です。入力してください。")))

    if (
        "local_material_share_over" in crit
        and p.materials
        and sum(_share(m) for m in local_materials) <= crit["local_material_share_over"]
    ):
        found.append(
            Finding("materials", _l("庄原市産の原材料が重量又は価額の半分を超えていません。"))
        )
    if (
        "local_value_share_over" in crit
        and p.steps
        and sum(_share(s) for s in local_steps) <= crit["local_value_share_over"]
    ):
        found.append(Finding("steps", _l("庄原市内で生じる付加価値が半分を超えていません。")))
    if crit.get("same_prefecture_materials") and p.materials:
        outside = [m for m in p.materials if not _in_prefecture(m.get("origin", ""))]
        if outside:
            found.append(
                Finding(
                    "materials",
                    _l(
                        "熟成肉・精米の原材料（肉・玄米）は広島県内産に限られます：%(names)s",
                        names="、".join(str(m.get("material", "")) for m in outside),
                    ),
                )
            )
        if not local_steps:
            found.append(Finding("steps", _l("熟成・精米を庄原市内で行う工程を入力してください。")))
    if "set_share_at_least" in crit:
        share = details.get("qualifying_value_share")
        if share not in (None, "") and float(share) < crit["set_share_at_least"]:
            found.append(
                Finding(
                    "qualifying_value_share",
                    _l(
                        "セットのうち地場産品の部分が価額の7割未満です（%(share)s%%）。",
                        share=share,
                    ),
                )
            )
    if crit.get("local_step_required") and p.steps and not local_steps:
        found.append(
            Finding(
                "steps",
                _l("主要な工程を庄原市内で行うことが必要です。その工程を入力してください。"),
            )
        )
    if crit.get("operator_only_in_prefecture"):
        if details.get("operator_in_prefecture") is False:
            found.append(
                Finding(
                    "operator_in_prefecture",
                    _l(
                        "県外でも宿泊施設を運営する事業者は第7号の2に当たりません。"
                        "第7号の3イ（調達費用が1人1泊5万円以下）を選んでください。"
                    ),
                )
            )
        if details.get("brand_outside_prefecture") is True:
            found.append(
                Finding(
                    "brand_outside_prefecture",
                    _l(
                        "県外の宿泊施設のブランド名を冠する施設（フランチャイズ等）は第7号の2に"
                        "当たりません。第7号の3イを選んでください。"
                    ),
                )
            )
    if "lodging_cost_cap_yen" in crit:
        cost = _int_or_none(details.get("lodging_cost_per_person_night"))
        if cost is not None and cost > crit["lodging_cost_cap_yen"]:
            found.append(
                Finding(
                    "lodging_cost_per_person_night",
                    _l(
                        "宿泊の調達に要する費用が1人1泊50,000円を超えています（第7号の3イ。"
                        "料金ではなく調達費用で判定します）。"
                    ),
                )
            )
    if "choice_by_kind" in crit:
        kind = details.get("shared_kind")
        if kind not in (None, "") and kind not in crit["choice_by_kind"]:
            found.append(Finding("shared_kind", _l("イ・ロ・ハのどれに当たるかを選んでください。")))
    if "set_items_at_least" in crit:
        items = set_components(details.get("set_components"))
        if items and len(items) < crit["set_items_at_least"]:
            found.append(
                Finding(
                    "set_components",
                    _l("セットには基準に合う品物を2つ以上、1行に1つずつ記入してください。"),
                )
            )
    return found


def set_components(text: Any) -> list[str]:
    """A セット's items, one per non-blank line ("品物：号")."""
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def choice_category(p: Proposal) -> str:
    """The proposal's 地場産品類型 as ふるさとチョイス lists it (8 by the イ/ロ/ハ chosen)."""
    crit = criteria().get(p.criterion) or {}
    by_kind = crit.get("choice_by_kind")
    if by_kind:
        return str(by_kind.get((p.origin_details or {}).get("shared_kind", ""), ""))
    return str(crit.get("choice", ""))


# --- drafting -------------------------------------------------------------------------------


def _coerce(name: str, value: Any) -> Any:
    if name == "temperature":
        return TemperatureBand(value) if value else None
    if name in {"season_from", "season_until"}:
        return date.fromisoformat(value) if isinstance(value, str) and value else value or None
    if name in {"size"}:
        return int(value)
    if name in {"required_amount", "procurement_cost", "shipping_fee", "capacity_per_month"}:
        return None if value in (None, "") else int(value)
    if name in {"materials", "steps"}:
        return [dict(r) for r in value or []]
    if name == "origin_details":
        return dict(value or {})
    return value if value is not None else ""


def _check_supplier(p: Proposal, by_user: User) -> None:
    if by_user.role != Role.SUPPLIER or by_user.supplier_id != p.supplier_id:
        raise PermissionDenied(_l("この提案を編集する権限がありません。"))


def create_draft(session: Session, values: dict[str, Any], *, by_user: User) -> Proposal:
    if by_user.role != Role.SUPPLIER or by_user.supplier_id is None:
        raise PermissionDenied(_l("提案を作成できるのは事業者だけです。"))
    p = Proposal(supplier_id=by_user.supplier_id, state=ProposalState.DRAFT)
    for name in PROPOSAL_FIELDS:
        if name in values:
            setattr(p, name, _coerce(name, values[name]))
    session.add(p)
    session.flush()
    record_event(session, SUBJECT, p.id, ProposalEvent.CREATED, by_user=by_user)
    return p


def update_draft(
    session: Session, proposal_id: int, values: dict[str, Any], *, by_user: User
) -> Proposal:
    p = get_for_supplier(session, proposal_id, by_user)
    _check_supplier(p, by_user)
    if p.state not in EDITABLE_STATES:
        raise DomainError(_l("審査中の提案は編集できません。"))
    for name in PROPOSAL_FIELDS:
        if name in values:
            setattr(p, name, _coerce(name, values[name]))
    session.flush()
    return p


def get_for_supplier(session: Session, proposal_id: int, by_user: User) -> Proposal:
    """A supplier only ever loads its own company's proposals (scoped query, foreign id = 404)."""
    p = session.scalar(
        sa.select(Proposal).where(
            Proposal.id == proposal_id, Proposal.supplier_id == by_user.supplier_id
        )
    )
    if p is None:
        raise NotFound(_l("提案が見つかりません。"))
    return p


# --- workflow -------------------------------------------------------------------------------


# Who a proposal waits for: operator staff review what suppliers send, the city decides what
# the operator recommends.
OPERATOR_QUEUE = (ProposalState.SUBMITTED, ProposalState.RESUBMITTED, ProposalState.UNDER_REVIEW)
CITY_QUEUE = (ProposalState.RECOMMENDED,)


def queue_for(user: User) -> tuple[ProposalState, ...]:
    return CITY_QUEUE if user.role == Role.CITY else OPERATOR_QUEUE


def waiting_count(session: Session, user: User) -> int:
    """How many proposals wait for this staff member's side (the navigation shows it)."""
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Proposal)
            .where(Proposal.state.in_(queue_for(user)))
        )
        or 0
    )


def allowed_moves(p: Proposal, user: User) -> list[ProposalState]:
    return [
        to
        for (frm, to), roles in TRANSITIONS.items()
        if frm == p.state
        and user.role in roles
        and (user.role != Role.SUPPLIER or user.supplier_id == p.supplier_id)
    ]


def transition(
    session: Session,
    proposal_id: int,
    to: ProposalState | str,
    *,
    by_user: User,
    comment: str = "",
    expected_version: int | None = None,
) -> Proposal:
    """The one place a proposal changes state: checks the role, moves the row with a
    conditional UPDATE (so a concurrent decision loses with Conflict), records the event."""
    to = ProposalState(to)
    p = session.get(Proposal, proposal_id)
    if p is None:
        raise NotFound(_l("提案が見つかりません。"))
    roles = TRANSITIONS.get((p.state, to))
    if roles is None:
        raise DomainError(_l("この状態からはその操作はできません。"))
    if by_user.role not in roles:
        if to in {ProposalState.APPROVED, ProposalState.REJECTED}:
            raise PermissionDenied(_l("承認・却下できるのは市の職員だけです。"))
        raise PermissionDenied(_l("この操作を行う権限がありません。"))
    if by_user.role == Role.SUPPLIER and by_user.supplier_id != p.supplier_id:
        raise NotFound(_l("提案が見つかりません。"))
    if to in {ProposalState.CHANGES_REQUESTED, ProposalState.REJECTED} and not comment.strip():
        raise DomainError(_l("理由をコメントに書いてください。"), field="comment")
    if to in {ProposalState.SUBMITTED, ProposalState.RESUBMITTED, ProposalState.APPROVED}:
        problems = assess(p)
        if problems:
            raise DomainError(problems[0].message, field=problems[0].field)

    version = p.lock_version if expected_version is None else expected_version
    frm = p.state
    result = session.execute(
        sa.update(Proposal)
        .where(
            Proposal.id == p.id,
            Proposal.state == frm,
            Proposal.lock_version == version,
        )
        .values(state=to, lock_version=Proposal.lock_version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict(_l("他の職員が先にこの提案を更新しました。最新の状態を確認してください。"))
    session.refresh(p)

    if to in {ProposalState.SUBMITTED, ProposalState.RESUBMITTED}:
        number = len(p.versions) + 1
        p.versions.append(
            ProposalVersion(number=number, data=p.snapshot(), created_by_id=by_user.id)
        )
    if to in {ProposalState.APPROVED, ProposalState.REJECTED}:
        p.decided_at = utcnow()
    if to == ProposalState.APPROVED:
        _create_gift(session, p, by_user)
    record_event(
        session,
        SUBJECT,
        p.id,
        ProposalEvent.moved_to(to),
        by_user=by_user,
        comment=comment,
        from_state=frm.value,
    )
    audit(
        session, actor=by_user, action=f"approval.{to.value}", subject_type="proposal",
        subject_id=p.id, detail=f"{frm.value} → {to.value}",
    )  # fmt: skip
    session.flush()
    return p


def _create_gift(session: Session, p: Proposal, by_user: User) -> Gift:
    """Approval lists the gift at once (status listed) with its origin data attached."""
    gift = Gift(
        code=f"PR-{p.id:05d}",
        name=p.name,
        description=p.description,
        supplier_id=p.supplier_id,
        required_amount=p.required_amount or 0,
        procurement_cost=p.procurement_cost or 0,
        shipping_fee=p.shipping_fee or 0,
        size=p.size,
        temperature=p.temperature,
        status=GiftStatus.LISTED,
        ship_from=p.season_from,
        ship_until=p.season_until,
    )
    session.add(gift)
    session.flush()
    p.gift_id = gift.id
    session.add(
        GiftOrigin(
            gift_id=gift.id,
            proposal_id=p.id,
            criterion=p.criterion,
            materials=list(p.materials or []),
            steps=list(p.steps or []),
            service_place=p.service_place,
            origin_details=dict(p.origin_details or {}),
            approved_at=utcnow(),
            approved_by_id=by_user.id,
        )
    )
    return gift


def diff_versions(old: dict[str, Any] | None, new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Field-by-field changes between two snapshots: [(field, before, after)]."""
    old = old or {}
    return [(f, old.get(f), new.get(f)) for f in PROPOSAL_FIELDS if old.get(f) != new.get(f)]


def latest_diff(p: Proposal) -> list[tuple[str, Any, Any]]:
    """What changed in the last submission compared with the one before ([] on the first)."""
    if len(p.versions) < 2:
        return []
    return diff_versions(p.versions[-2].data, p.versions[-1].data)


# --- files ----------------------------------------------------------------------------------


def attach_photo(
    session: Session,
    proposal_id: int,
    data: bytes,
    filename: str,
    *,
    upload_dir: str,
    by_user: User,
) -> ProposalFile:
    """JPEG/PNG/WebP judged by content (not name), size-limited, re-encoded (drops EXIF/GPS
    and anything smuggled after the image data)."""
    from PIL import Image, UnidentifiedImageError

    p = get_for_supplier(session, proposal_id, by_user)
    if p.state not in EDITABLE_STATES:
        raise DomainError(_l("審査中の提案は編集できません。"), field="photo")
    if len(data) > PHOTO_MAX_BYTES:
        raise DomainError(_l("写真は5MB以下にしてください。"), field="photo")
    from portal.core.images import open_limited

    try:
        with open_limited(data, field="photo") as probe:  # refused on its header's size
            fmt = probe.format
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            if fmt not in {"JPEG", "PNG", "WEBP"}:
                raise DomainError(
                    _l("写真はJPEG・PNG・WebPのいずれかにしてください。"), field="photo"
                )
            img.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=88)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise DomainError(
            _l("写真はJPEG・PNG・WebPのいずれかにしてください。"), field="photo"
        ) from exc
    return _store(
        session,
        p,
        ProposalFileKind.PHOTO,
        out.getvalue(),
        filename,
        "image/jpeg",
        ".jpg",
        upload_dir,
    )


def attach_evidence(
    session: Session,
    proposal_id: int,
    data: bytes,
    filename: str,
    *,
    upload_dir: str,
    by_user: User,
) -> ProposalFile:
    p = get_for_supplier(session, proposal_id, by_user)
    if p.state not in EDITABLE_STATES:
        raise DomainError(_l("審査中の提案は編集できません。"), field="evidence")
    if len(data) > EVIDENCE_MAX_BYTES:
        raise DomainError(_l("証明書類は10MB以下にしてください。"), field="evidence")
    if not data.startswith(b"%PDF-"):
        raise DomainError(_l("証明書類はPDFで添付してください。"), field="evidence")
    return _store(
        session, p, ProposalFileKind.EVIDENCE, data, filename, "application/pdf", ".pdf", upload_dir
    )


def _store(
    session: Session,
    p: Proposal,
    kind: ProposalFileKind,
    data: bytes,
    filename: str,
    content_type: str,
    suffix: str,
    upload_dir: str,
) -> ProposalFile:
    folder = Path(upload_dir) / "proposals"
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}{suffix}"
    (folder / stored).write_bytes(data)
    f = ProposalFile(
        proposal_id=p.id,
        kind=kind,
        stored_name=stored,
        original_name=filename[:200],
        content_type=content_type,
        size_bytes=len(data),
    )
    session.add(f)
    p.files.append(f)
    session.flush()
    return f
