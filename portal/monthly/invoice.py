"""The city invoice for a month [8(1)〜(3)].

Lines, in the order the contract lists them:
- 基本業務委託料 [8(1)ア]: the month's donations (受領日 in the JST month, not cancelled) in three
  groups — with a gift, without a gift, crowdfunding (a donation tied to a project, Donation.is_crowdfunding) — each
  amount × its contract rate, 1円未満切捨て per group.
- 返礼品代及び送料 [8(1)イ, 6(3)カ]: one line per billable statement line of the month
  (supplier, gift, units, 調達費用, the shipments' own 送料; re-sends by carrier or donor
  included); every statement of the month must be confirmed before issuing. Re-sends the
  supplier or the operator caused are listed apart at 0 yen (not billed [8(1)イ]).
- 受領証明書等送付 [8(1)ウ]: sets in receipt batches mailed in the month × the unit price, or
  shown at 0 yen when the contract folds it into the base fee.
- 消費税: on the operator's own fees (base + mailing), at the contract's rate and rounding; the
  statements' amounts already include tax (they are what suppliers are paid).
- 広告費控除 [8(3)]: advertising the city paid itself, not yet deducted, paid on or before the
  month's end: subtracted after tax (the city paid it tax included).

Preview any time; issuing numbers it (INV2026-0001, per fiscal year) and freezes its lines:
a before-flush check refuses any change to an issued invoice. A correction is a credit note
(CR…, every amount negated, referring to the original), after which the month can be issued
again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session, selectinload

from portal.core.dates import today_jst
from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.numbering import next_number
from portal.core.roles import can_prepare_monthly
from portal.core.timeline import record_event
from portal.donations.models import Donation, DonationLine, DonationState
from portal.monthly.contract import ROUNDING_LABELS, apply_rate, percent_text, rate_for, round_yen
from portal.monthly.labels import line_kind_text
from portal.monthly.models import (
    CityAdvertisement,
    ContractRate,
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoiceLine,
)
from portal.receipts.models import BatchStatus, ReceiptBatch
from portal.statements.models import StatementState
from portal.statements.service import month_range, month_statements, normalise_month

if TYPE_CHECKING:
    from portal.accounts.models import User


class DonationGroup:
    GIFT = "gift"
    NO_GIFT = "no_gift"
    CROWDFUNDING = "crowdfunding"


GROUP_LABELS = {
    DonationGroup.GIFT: _l("基本業務委託料（返礼品あり）"),
    DonationGroup.NO_GIFT: _l("基本業務委託料（返礼品なし）"),
    DonationGroup.CROWDFUNDING: _l("基本業務委託料（クラウドファンディング）"),
}
SECTION_LABELS = {
    "base": _l("基本業務委託料"),
    "gifts": _l("返礼品代及び送料"),
    "not_billed": _l("請求しない再送（受注者・事業者の責）[8(1)イ]"),
    "mailing": _l("受領証明書等送付"),
    "tax": _l("消費税"),
    "ads": _l("広告費控除（市が直接支払った広告費）"),
}


def _yen(value: int) -> str:
    return format(value, ",")


def donation_group(donation: Donation) -> str:
    if donation.is_crowdfunding:
        return DonationGroup.CROWDFUNDING
    return DonationGroup.GIFT if donation.lines else DonationGroup.NO_GIFT


def month_donations(session: Session, month: str) -> list[Donation]:
    start, end = month_range(month)
    return list(
        session.scalars(
            sa.select(Donation)
            .options(selectinload(Donation.lines))
            .where(
                Donation.received_on >= start,
                Donation.received_on < end,
                Donation.state != DonationState.CANCELLED,
            )
            .order_by(Donation.received_on, Donation.id)
        )
    )


Groups = dict[str, tuple[int, int]]  # group → (donations, yen)


def group_of() -> sa.ColumnElement[str]:
    """`donation_group` in SQL: crowdfunding first, then with a gift line, else without."""
    has_line = sa.select(DonationLine.id).where(DonationLine.donation_id == Donation.id).exists()
    return sa.case(
        (Donation.is_crowdfunding, DonationGroup.CROWDFUNDING),
        (has_line, DonationGroup.GIFT),
        else_=DonationGroup.NO_GIFT,
    )


def empty_groups() -> Groups:
    return dict.fromkeys(GROUP_LABELS, (0, 0))


def month_groups(session: Session, month: str) -> Groups:
    """The month's donations (as `month_donations`) counted and summed per group in one
    grouped query: the invoice needs only those, and loading every donation of a busy month
    with its lines took seconds per preview (bench/oversight.py --rate)."""
    start, end = month_range(month)
    group = group_of()
    counted = empty_groups()
    for name, count, amount in session.execute(
        sa.select(group, sa.func.count(), sa.func.coalesce(sa.func.sum(Donation.amount), 0))
        .where(
            Donation.received_on >= start,
            Donation.received_on < end,
            Donation.state != DonationState.CANCELLED,
        )
        .group_by(group)
    ):
        counted[name] = (int(count), int(amount))
    return counted


def mailed_batches(session: Session, month: str) -> list[ReceiptBatch]:
    start, end = month_range(month)
    return list(
        session.scalars(
            sa.select(ReceiptBatch)
            .options(selectinload(ReceiptBatch.items))
            .where(
                ReceiptBatch.status == BatchStatus.MAILED,
                ReceiptBatch.mailed_on >= start,
                ReceiptBatch.mailed_on < end,
            )
            .order_by(ReceiptBatch.mailed_on, ReceiptBatch.id)
        )
    )


def pending_ads(session: Session, month: str) -> list[CityAdvertisement]:
    """City-paid advertising to deduct from this month's invoice: not deducted yet, paid by the
    month's end (8(3): from the nearest invoice after the city reports it)."""
    _, end = month_range(month)
    return list(
        session.scalars(
            sa.select(CityAdvertisement)
            .where(CityAdvertisement.deducted_invoice_id.is_(None), CityAdvertisement.paid_on < end)
            .order_by(CityAdvertisement.paid_on, CityAdvertisement.id)
        )
    )


@dataclass
class Draft:
    month: str
    rate: ContractRate
    lines: list[InvoiceLine] = field(default_factory=list)
    ads: list[CityAdvertisement] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)  # suppliers whose statement is open
    taxable: int = 0
    tax: int = 0
    total: int = 0
    tax_note: str = ""

    def section_total(self, section: str) -> int:
        return sum(line.amount for line in self.lines if line.section == section)


def build(session: Session, month: str, groups: Groups | None = None) -> Draft:
    """The month's invoice as it would be issued now (nothing is written). `groups`: the
    month's `month_groups` when the caller has them already (the 経費率 watch's snapshot,
    portal/oversight/snapshot.py), else counted here."""
    month = normalise_month(month)
    start, _end = month_range(month)
    rate = rate_for(session, start)
    if rate is None:
        raise DomainError(
            _l("%(month)s に適用する契約単価が登録されていません。", month=month), field="month"
        )
    draft = Draft(month=month, rate=rate)
    lines = draft.lines

    def add(**kw: Any) -> None:
        lines.append(InvoiceLine(position=len(lines) + 1, **kw))

    if groups is None:
        groups = month_groups(session, month)
    groups = {**empty_groups(), **groups}  # every group, in the invoice's order
    bps = {
        DonationGroup.GIFT: rate.base_rate_bp,
        DonationGroup.NO_GIFT: rate.no_gift_rate_bp,
        DonationGroup.CROWDFUNDING: rate.crowdfunding_rate_bp,
    }
    for group, (count, basis) in groups.items():
        add(
            section="base", label=str(GROUP_LABELS[group]),
            detail=str(_l("寄附 %(count)d件 × %(rate)s", count=count,
                          rate=percent_text(bps[group]))),
            quantity=count, basis=basis, amount=apply_rate(basis, bps[group]),
            ref_type="donations", ref_id=f"{month}:{group}",
        )  # fmt: skip

    for st in month_statements(session, month):
        if st.state != StatementState.CONFIRMED:
            draft.unconfirmed.append(st.supplier.name)
        for sl in st.lines:
            how = line_kind_text(sl.kind, sl.resend_cause)
            add(
                section="gifts" if sl.billable else "not_billed",
                label=f"{st.supplier.name} {sl.gift_code} {sl.gift_name}",
                detail=str(_l("%(how)s 調達費用 %(cost)s円 + 送料 %(ship)s円", how=how,
                              cost=_yen(sl.cost_total), ship=_yen(sl.shipping_total))),
                quantity=sl.count, cost=sl.cost_total, shipping=sl.shipping_total,
                amount=sl.total if sl.billable else 0,
                ref_type="statement_line", ref_id=f"{st.id}:{sl.id}",
            )  # fmt: skip

    for batch in mailed_batches(session, month):
        sets = len(batch.items)
        folded = rate.mailing_in_base
        add(
            section="mailing", label=str(_l("受領証明書等送付 %(label)s", label=batch.label)),
            detail=str(_l("基本業務委託料に含む") if folded else
                       _l("%(sets)d通 × %(price)s円", sets=sets,
                          price=_yen(rate.mailing_unit_price))),
            quantity=sets, unit_price=0 if folded else rate.mailing_unit_price,
            amount=0 if folded else sets * rate.mailing_unit_price,
            ref_type="receipt_batch", ref_id=str(batch.id),
        )  # fmt: skip

    draft.taxable = draft.section_total("base") + draft.section_total("mailing")
    if rate.tax_rate_percent:
        draft.tax = round_yen(
            Decimal(draft.taxable) * rate.tax_rate_percent / 100, rate.tax_rounding
        )
        draft.tax_note = str(
            _l("消費税 %(rate)d%%（課税対象 %(base)s円、%(rounding)s）",
               rate=rate.tax_rate_percent, base=_yen(draft.taxable),
               rounding=ROUNDING_LABELS[rate.tax_rounding])
        )  # fmt: skip
        add(
            section="tax", label=str(SECTION_LABELS["tax"]), detail=draft.tax_note,
            basis=draft.taxable, amount=draft.tax, ref_type="contract_rate", ref_id=str(rate.id),
        )  # fmt: skip

    draft.ads = pending_ads(session, month)
    for ad in draft.ads:
        add(
            section="ads", label=str(_l("広告費控除 %(what)s", what=ad.description)),
            detail=f"{ad.paid_on.isoformat()} {ad.evidence_ref}".strip(),
            quantity=1, basis=ad.amount, amount=-ad.amount,
            ref_type="city_advertisement", ref_id=str(ad.id),
        )  # fmt: skip
    draft.total = sum(line.amount for line in lines)
    return draft


def _fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def current_invoice(session: Session, month: str) -> Invoice | None:
    """The month's invoice in force: the latest issued one not cancelled by a credit note."""
    month = normalise_month(month)
    invoices = list(
        session.scalars(
            sa.select(Invoice)
            .options(selectinload(Invoice.lines))
            .where(Invoice.month == month)
            .order_by(Invoice.id)
        )
    )
    credited = {inv.original_id for inv in invoices if inv.kind == InvoiceKind.CREDIT}
    live = [i for i in invoices if i.kind == InvoiceKind.INVOICE and i.id not in credited]
    return live[-1] if live else None


def month_invoices(session: Session, month: str) -> list[Invoice]:
    return list(
        session.scalars(
            sa.select(Invoice)
            .options(selectinload(Invoice.lines))
            .where(Invoice.month == normalise_month(month))
            .order_by(Invoice.id)
        )
    )


def get_invoice(session: Session, invoice_id: int) -> Invoice | None:
    return session.scalar(
        sa.select(Invoice).options(selectinload(Invoice.lines)).where(Invoice.id == invoice_id)
    )


def _check_user(by_user: User | None) -> None:
    if by_user is not None and not can_prepare_monthly(by_user):
        raise PermissionDenied(_l("請求書を発行できるのは運営事務局の職員だけです。"))


def issue(session: Session, month: str, *, by_user: User | None) -> Invoice:
    """Number and freeze the month's invoice; the advertising it deducts is marked deducted."""
    _check_user(by_user)
    month = normalise_month(month)
    if current_invoice(session, month) is not None:
        raise Conflict(_l("%(month)s の請求書はすでに発行されています。", month=month))
    draft = build(session, month)
    if draft.unconfirmed:
        raise DomainError(
            _l("事業者の確認が済んでいない明細があります（%(names)s）。確定してから発行してください。",
               names="、".join(draft.unconfirmed))
        )  # fmt: skip
    today = today_jst()
    fy = _fiscal_year(today)
    number = f"INV{fy}-{next_number(session, 'invoice', str(fy)):04d}"
    invoice = Invoice(
        month=month, kind=InvoiceKind.INVOICE, number=number, issued_on=today,
        issued_by_id=by_user.id if by_user else None, contract_rate_id=draft.rate.id,
        taxable=draft.taxable, tax=draft.tax, total=draft.total, tax_note=draft.tax_note,
        lines=draft.lines,
    )  # fmt: skip
    session.add(invoice)
    session.flush()
    for ad in draft.ads:
        ad.deducted_invoice_id = invoice.id
    record_event(
        session, "invoice", invoice.id, InvoiceEvent.ISSUED, by_user=by_user, number=number
    )
    session.flush()
    return invoice


def credit_note(
    session: Session, original: Invoice, *, reason: str, by_user: User | None
) -> Invoice:
    """Cancel an issued invoice with its negative; its advertising goes back to be deducted."""
    _check_user(by_user)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("赤伝を発行する理由を入力してください。"), field="reason")
    if original.kind != InvoiceKind.INVOICE:
        raise DomainError(_l("赤伝を取り消すことはできません。"))
    if session.scalar(sa.select(Invoice.id).where(Invoice.original_id == original.id)):
        raise Conflict(_l("この請求書にはすでに赤伝が発行されています。"))
    today = today_jst()
    fy = _fiscal_year(today)
    number = f"CR{fy}-{next_number(session, 'credit_note', str(fy)):04d}"
    credit = Invoice(
        month=original.month, kind=InvoiceKind.CREDIT, number=number, issued_on=today,
        issued_by_id=by_user.id if by_user else None, contract_rate_id=original.contract_rate_id,
        original_id=original.id, reason=reason, taxable=-original.taxable, tax=-original.tax,
        total=-original.total, tax_note=original.tax_note,
        lines=[
            InvoiceLine(
                position=ln.position, section=ln.section, label=ln.label, detail=ln.detail,
                quantity=-ln.quantity, basis=-ln.basis, unit_price=ln.unit_price, cost=-ln.cost,
                shipping=-ln.shipping, amount=-ln.amount, ref_type=ln.ref_type, ref_id=ln.ref_id,
            )
            for ln in original.lines
        ],
    )  # fmt: skip
    session.add(credit)
    session.flush()
    for ad in session.scalars(
        sa.select(CityAdvertisement).where(CityAdvertisement.deducted_invoice_id == original.id)
    ):
        ad.deducted_invoice_id = None
    record_event(
        session, "invoice", original.id, InvoiceEvent.CREDITED, by_user=by_user, credit=number,
        reason=reason,
    )  # fmt: skip
    session.flush()
    return credit


@event.listens_for(Session, "before_flush")
def _issued_invoices_are_frozen(session: Session, _ctx: Any, _instances: Any) -> None:
    """An issued invoice is a legal document: no change, no deletion (a credit note instead)."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Invoice | InvoiceLine) and (
            obj in session.deleted or session.is_modified(obj, include_collections=False)
        ):
            raise Conflict(_l("発行済みの請求書は変更できません。訂正は赤伝で行ってください。"))
