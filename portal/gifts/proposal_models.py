"""New-gift proposals (返礼品の新規提案) with 地場産品基準 origin data, and their state machine.

A proposal moves draft → submitted → under_review → (changes_requested ⇄ resubmitted) →
recommended → approved / rejected. Suppliers write, operator staff review and recommend, and
only city staff decide: a gift that breaks 告示第179号第5条 can cost the city two years out of
the programme, so nothing becomes a gift without the city.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Supplier, User
from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.core.roles import Role
from portal.extensions import Model
from portal.gifts.models import TemperatureBand


class ProposalState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CHANGES_REQUESTED = "changes_requested"
    RESUBMITTED = "resubmitted"
    RECOMMENDED = "recommended"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProposalEvent(enum.StrEnum):
    """Timeline kinds of a proposal: its creation, then one per state it moves to."""

    CREATED = "proposal.created"
    SUBMITTED = "proposal.submitted"
    UNDER_REVIEW = "proposal.under_review"
    CHANGES_REQUESTED = "proposal.changes_requested"
    RESUBMITTED = "proposal.resubmitted"
    RECOMMENDED = "proposal.recommended"
    APPROVED = "proposal.approved"
    REJECTED = "proposal.rejected"

    @classmethod
    def moved_to(cls, state: ProposalState) -> ProposalEvent:
        return cls(f"proposal.{state.value}")


_OPS = frozenset({Role.OPERATOR, Role.OPERATOR_ADMIN})
_SUPPLIER = frozenset({Role.SUPPLIER})
_CITY = frozenset({Role.CITY})

# (from, to) → the roles that may make that move. Anything not listed is refused.
TRANSITIONS: dict[tuple[ProposalState, ProposalState], frozenset[Role]] = {
    (ProposalState.DRAFT, ProposalState.SUBMITTED): _SUPPLIER,
    (ProposalState.SUBMITTED, ProposalState.UNDER_REVIEW): _OPS,
    (ProposalState.RESUBMITTED, ProposalState.UNDER_REVIEW): _OPS,
    (ProposalState.UNDER_REVIEW, ProposalState.CHANGES_REQUESTED): _OPS,
    (ProposalState.CHANGES_REQUESTED, ProposalState.RESUBMITTED): _SUPPLIER,
    (ProposalState.UNDER_REVIEW, ProposalState.RECOMMENDED): _OPS,
    # The city may send a recommended proposal back too, or decide.
    (ProposalState.RECOMMENDED, ProposalState.CHANGES_REQUESTED): _CITY,
    (ProposalState.RECOMMENDED, ProposalState.APPROVED): _CITY,
    (ProposalState.RECOMMENDED, ProposalState.REJECTED): _CITY,
}

EDITABLE_STATES = frozenset({ProposalState.DRAFT, ProposalState.CHANGES_REQUESTED})

# The fields a supplier writes; snapshots and diffs cover exactly these.
PROPOSAL_FIELDS = (
    "name",
    "description",
    "contents",
    "allergens",
    "best_before",
    "temperature",
    "size",
    "required_amount",
    "procurement_cost",
    "shipping_fee",
    "capacity_per_month",
    "season_from",
    "season_until",
    "criterion",
    "materials",
    "steps",
    "service_place",
    "origin_details",
)


class Proposal(TimestampMixin, Model):
    __tablename__ = "gift_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier.id"), index=True)
    state: Mapped[ProposalState] = mapped_column(
        enum_column(ProposalState), default=ProposalState.DRAFT, index=True
    )
    # Bumped by every state change through a conditional UPDATE: two deciders, one winner.
    lock_version: Mapped[int] = mapped_column(default=1)

    name: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    contents: Mapped[str] = mapped_column(sa.Text, default="")  # 内容量
    allergens: Mapped[str] = mapped_column(sa.String(300), default="")
    best_before: Mapped[str] = mapped_column(
        sa.String(100), default=""
    )  # 賞味期限 (e.g. 発送から30日)
    # Chosen by the supplier (no default: a wrong band spoils the gift in transit).
    temperature: Mapped[TemperatureBand | None] = mapped_column(enum_column(TemperatureBand))
    size: Mapped[int] = mapped_column(default=60)
    required_amount: Mapped[int | None]  # 提案する必要寄附額 (yen)
    procurement_cost: Mapped[int | None]  # 調達費用 (yen, tax included)
    shipping_fee: Mapped[int | None]  # 送料 (yen; outside the 3割)
    capacity_per_month: Mapped[int | None]
    season_from: Mapped[date | None]  # 発送期間 (seasonal gifts)
    season_until: Mapped[date | None]
    criterion: Mapped[str] = mapped_column(sa.String(16), default="")  # 号 code, criteria.json
    # [{"material": "牛肉", "origin": "広島県庄原市", "share": 80}]
    materials: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # [{"step": "熟成", "place": "庄原市", "share": 60}]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    service_place: Mapped[str] = mapped_column(sa.String(300), default="")
    # The few per-号 facts: production_place, processing_place, mixing_reason,
    # qualifying_value_share, operator_in_prefecture, price_per_person_night, disaster_name,
    # original_item, voucher_scope.
    origin_details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    gift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gift.id"))
    decided_at: Mapped[datetime | None]

    supplier: Mapped[Supplier] = relationship()
    files: Mapped[list[ProposalFile]] = relationship(
        back_populates="proposal", order_by="ProposalFile.id", cascade="all, delete-orphan"
    )
    versions: Mapped[list[ProposalVersion]] = relationship(
        back_populates="proposal", order_by="ProposalVersion.number", cascade="all, delete-orphan"
    )

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in PROPOSAL_FIELDS:
            value = getattr(self, name)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, enum.Enum):
                value = value.value
            out[name] = value
        return out


class ProposalVersion(Model):
    """What the supplier sent at each submission: staff see the diff to the previous one."""

    __tablename__ = "gift_proposal_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("gift_proposal.id"), index=True)
    number: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    proposal: Mapped[Proposal] = relationship(back_populates="versions")

    __table_args__ = (sa.UniqueConstraint("proposal_id", "number"),)


class ProposalFileKind(enum.StrEnum):
    PHOTO = "photo"
    EVIDENCE = "evidence"


class ProposalFile(Model):
    __tablename__ = "gift_proposal_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("gift_proposal.id"), index=True)
    kind: Mapped[ProposalFileKind] = mapped_column(enum_column(ProposalFileKind))
    stored_name: Mapped[str] = mapped_column(sa.String(100))  # under UPLOAD_DIR/proposals
    original_name: Mapped[str] = mapped_column(sa.String(200), default="")
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size_bytes: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="files")


class GiftOrigin(Model):
    """The 地場産品 evidence a listed gift carries: the approved proposal's 号 and origin rows."""

    __tablename__ = "gift_origin"

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"), unique=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("gift_proposal.id"))
    criterion: Mapped[str] = mapped_column(sa.String(16))
    materials: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    service_place: Mapped[str] = mapped_column(sa.String(300), default="")
    origin_details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    approved_at: Mapped[datetime]
    approved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))

    approved_by: Mapped[User] = relationship()


class ConsultationKind(enum.StrEnum):
    MEETING = "meeting"  # 面談
    CALL = "call"  # 電話
    VISIT = "visit"  # 訪問
    MAIL = "mail"  # メール


class Consultation(TimestampMixin, Model):
    """A meeting or call with a supplier [6(6)ケ], [7(1)オ]; counted in the monthly report."""

    __tablename__ = "supplier_consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier.id"), index=True)
    held_on: Mapped[date] = mapped_column(index=True)
    kind: Mapped[ConsultationKind] = mapped_column(
        enum_column(ConsultationKind), default=ConsultationKind.MEETING
    )
    topic: Mapped[str] = mapped_column(sa.String(200))
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    next_step: Mapped[str] = mapped_column(sa.Text, default="")
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gift_proposal.id"))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))

    supplier: Mapped[Supplier] = relationship()
    recorded_by: Mapped[User] = relationship()


register_label("proposal", by_id(Proposal, "返礼品の提案", lambda p: str(p.id)))
