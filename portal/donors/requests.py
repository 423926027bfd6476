"""Donor requests: receipt reissue, delivery address, mailing address — each a staff case.

The donor opens a request (one open request per kind and donation; the same request sent
twice is the same request). Staff decide once: approve as asked, correct (apply what they
checked instead, e.g. a fixed address) or refuse with a reason. Approving writes the
donation's fields (audited) or asks the receipt service for a reissue. Every step is a public
timeline event on the donation and a mail to the donor (sent by a job after the commit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.audit import audit
from portal.core.errors import Conflict, DomainError
from portal.core.jobs import task
from portal.core.mail import send_mail_once
from portal.core.models import utcnow
from portal.core.timeline import record_event
from portal.donations import normalise
from portal.donations.models import Donation, DonationState
from portal.donors.models import (
    KIND_LABELS,
    STATUS_LABELS,
    DonorRequest,
    ReissueReason,
    RequestEvent,
    RequestKind,
    RequestStatus,
)

if TYPE_CHECKING:
    from portal.accounts.models import User

ADDRESS_KINDS = frozenset({RequestKind.DELIVERY_ADDRESS, RequestKind.MAIL_ADDRESS})


@dataclass
class Details:
    """Name and address as typed (normalised here)."""

    name: str = ""
    postal_code: str = ""
    address: str = ""
    phone: str = ""

    def cleaned(self) -> Details:
        return Details(
            name=normalise.name(self.name)[:100],
            postal_code=normalise.postal_code(self.postal_code),
            address=normalise.address(self.address)[:300],
            phone=normalise.phone(self.phone)[:20],
        )

    def check(self) -> Details:
        d = self.cleaned()
        if not d.name:
            raise DomainError(_l("お名前を入力してください。"), field="name")
        if len(d.postal_code) != 7:
            raise DomainError(
                _l("郵便番号は7桁の数字で入力してください（例: 727-0011）。"), field="postal_code"
            )
        if not d.address:
            raise DomainError(_l("住所を入力してください。"), field="address")
        return d


def _check_shippable(donation: Donation) -> None:
    if donation.is_shipped:
        raise DomainError(
            _l(
                "返礼品はすでに発送されたため、お届け先は変更できません。窓口へお問い合わせください。"
            ),
        )


def open_requests(session: Session, donation: Donation) -> list[DonorRequest]:
    return list(
        session.scalars(
            sa.select(DonorRequest)
            .where(DonorRequest.donation_id == donation.id)
            .order_by(DonorRequest.created_at.desc(), DonorRequest.id.desc())
        )
    )


def open_request(
    session: Session,
    donation: Donation,
    kind: RequestKind,
    *,
    reason: ReissueReason | None = None,
    details: Details | None = None,
    note: str = "",
) -> tuple[DonorRequest, bool]:
    """The donor asks; returns the request and whether it is new (False: an identical
    request was already open — a double submit)."""
    if donation.state == DonationState.CANCELLED:
        raise DomainError(_l("取り消された寄附にはお申し込みできません。"))
    d = Details()
    if kind == RequestKind.RECEIPT_REISSUE:
        if reason is None:
            raise DomainError(_l("理由を選んでください。"), field="reason")
        if reason == ReissueReason.DETAILS_WRONG:
            d = (details or Details()).check()
    else:
        reason = None
        d = (details or Details()).check()
        if kind == RequestKind.DELIVERY_ADDRESS:
            _check_shippable(donation)
    note = (note or "").strip()[:2000]
    existing = session.scalar(
        sa.select(DonorRequest).where(
            DonorRequest.donation_id == donation.id,
            DonorRequest.kind == kind,
            DonorRequest.status == RequestStatus.OPEN,
        )
    )
    if existing is not None:
        same = (
            existing.reissue_reason == reason
            and (existing.name, existing.postal_code, existing.address, existing.phone)
            == (d.name, d.postal_code, d.address, d.phone)
            and existing.note == note
        )
        if same:
            return existing, False
        raise DomainError(_l("同じ種類のお申し込みを受付中です。窓口からの連絡をお待ちください。"))
    req = DonorRequest(
        donation_id=donation.id,
        donation=donation,
        kind=kind,
        reissue_reason=reason,
        name=d.name,
        postal_code=d.postal_code,
        address=d.address,
        phone=d.phone,
        note=note,
        status=RequestStatus.OPEN,
    )
    session.add(req)
    session.flush()
    record_event(
        session,
        "donation",
        donation.id,
        RequestEvent.OPENED,
        public=True,
        request_id=req.id,
        request_kind=kind.value,
        status=RequestStatus.OPEN.value,
    )
    return req, True


def _apply(session: Session, req: DonorRequest, d: Details, *, by_user: User) -> None:
    donation = req.donation
    if req.kind == RequestKind.DELIVERY_ADDRESS:
        _check_shippable(donation)
        donation.delivery_name = d.name
        donation.delivery_postal_code = d.postal_code
        donation.delivery_address = d.address
        if d.phone:
            donation.delivery_phone = d.phone
        fields = "delivery"
    elif req.kind == RequestKind.MAIL_ADDRESS:
        donation.mail_name = d.name
        donation.mail_postal_code = d.postal_code
        donation.mail_address = d.address
        fields = "mail"
    else:
        fields = "receipt"
        if req.reissue_reason == ReissueReason.DETAILS_WRONG:
            donation.donor_name = d.name
            donation.postal_code = d.postal_code
            donation.address = d.address
            fields = "donor,receipt"
        try:
            from portal.receipts.service import request_reissue
        except ImportError as e:
            raise DomainError(
                _l("受領証明書の再発行はまだこの画面から行えません。"), field="decision"
            ) from e
        request_reissue(
            session,
            donation,
            reason=req.reissue_reason.value if req.reissue_reason else "",
            by_user=by_user,
        )
    audit(
        session,
        actor=by_user,
        action="update",
        subject_type="donation",
        subject_id=donation.id,
        detail=f"donor_request={req.id} fields={fields}",
    )


def decide(
    session: Session,
    req: DonorRequest,
    decision: RequestStatus,
    *,
    by_user: User,
    staff_note: str = "",
    details: Details | None = None,
) -> DonorRequest:
    """Approve as asked, approve corrected values, or refuse with a reason. Once."""
    if req.status != RequestStatus.OPEN:
        raise Conflict(_l("このお申し込みはすでに処理されています。"), field="decision")
    staff_note = (staff_note or "").strip()[:2000]
    if decision == RequestStatus.OPEN:
        raise DomainError(_l("対応を選んでください。"), field="decision")
    if decision == RequestStatus.REFUSED:
        if not staff_note:
            raise DomainError(
                _l("お断りする理由を入力してください（寄附者に表示されます）。"),
                field="staff_note",
            )
    else:
        needs_details = req.kind in ADDRESS_KINDS or (
            req.reissue_reason == ReissueReason.DETAILS_WRONG
        )
        if decision == RequestStatus.CORRECTED:
            d = (details or Details()).check() if needs_details else Details()
            if not staff_note:
                raise DomainError(
                    _l("何を修正したかを入力してください（寄附者に表示されます）。"),
                    field="staff_note",
                )
        else:
            d = Details(req.name, req.postal_code, req.address, req.phone)
        _apply(session, req, d, by_user=by_user)
    req.status = decision
    req.staff_note = staff_note
    req.decided_by_id = by_user.id
    req.decided_at = utcnow()
    session.flush()
    record_event(
        session,
        "donation",
        req.donation_id,
        RequestEvent.UPDATED,
        by_user=by_user,
        public=True,
        request_id=req.id,
        request_kind=req.kind.value,
        status=decision.value,
    )
    audit(
        session, actor=by_user, action=f"approval.request_{decision.value}",
        subject_type="donation", subject_id=req.donation_id,
        detail=f"donor_request={req.id} {req.kind.value}",
    )  # fmt: skip
    return req


def onestop_change_due(session: Session, req: DonorRequest) -> bool:
    """A name or address change applied to a donation whose one-stop form was received,
    before its deadline: the donor must also send the 申告特例申請事項変更届出書 ((注1) of
    the form). The confirmation says so and points to the pre-filled form on the status page
    (a link, not an attachment: the PDF holds the donor's name and address)."""
    from portal.receipts import onestop

    changed = (
        req.kind == RequestKind.RECEIPT_REISSUE
        and req.reissue_reason == ReissueReason.DETAILS_WRONG
        and req.status in (RequestStatus.APPROVED, RequestStatus.CORRECTED)
    )
    return changed and onestop.change_form_offered(session, req.donation)


def _onestop_deadline_text(donation: Donation) -> str:
    from portal.core.dates import wareki
    from portal.receipts import onestop

    return wareki(onestop.deadline(onestop.donation_year(donation)))


@task
def mail_request_status(session: Session, request_id: int) -> bool:
    """Tell the donor where a request stands (sent after the commit; nothing without e-mail)."""
    from portal.donors.access import public_url

    req = session.get(DonorRequest, request_id)
    if req is None or not req.donation.email:
        return False
    body = render_template(
        "mail/donor_request.txt",
        req=req,
        donation=req.donation,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        link=public_url("donor.index"),
        onestop_change=onestop_change_due(session, req),
        onestop_deadline=_onestop_deadline_text(req.donation),
    )
    # Once per request and status: a re-run after a crash does not mail the donor twice.
    return send_mail_once(
        session,
        f"donor-request:{req.id}:{req.status.value}",
        req.donation.email,
        _(
            "【%(city)sふるさと納税】お申し込みの状況（%(kind)s）",
            city=current_app.config["CITY_NAME"],
            kind=KIND_LABELS[req.kind],
        ),
        body,
    )
