"""One-stop forms (申告特例申請書) coming back: received, complete or what is missing, late.

Staff scan the QR code on the returned form (it holds the donation number) or type the number.
The system never asks for, stores or shows a マイナンバー: only whether the copy of the
マイナンバー確認書類 was enclosed. Deadline: 10 January of the year after the donation, moved to
the next business day when that is a weekend or a national holiday.

Timeline: "onestop.received" {received_on, complete, missing: [keys], late} (public). The
donor gets an e-mail on each state change (`notify_donor`, called after the commit).

申告特例申請事項変更届出書 (様式第55号の6): a donor whose form was received and whose address
or name changes tells the city by 10 January of the year after the donation ((注1) of the
form). The portal offers it pre-filled (`change_form_for`) on the donor's status page and in
the confirmation of a name/address change; staff register its return like the form's
(`register_change`, "onestop.change_received" {received_on, late} on the timeline).

Wording of both forms checked against the city copies of 様式第55号の5 published as PDF text:
https://expydoc.com/doc/8638314/ (千葉市) and https://expydoc.com/doc/11053002/ (様式第55号の5).
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays
import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.dates import today_jst
from portal.core.errors import DomainError, NotFound
from portal.core.mail import send_mail
from portal.core.timeline import record_event
from portal.donations.models import Donation, DonationState
from portal.receipts.models import OnestopReturn, OnestopState, ReceiptEvent

if TYPE_CHECKING:
    from email.message import EmailMessage

    from portal.accounts.models import User
    from portal.documents.onestop_change import ChangeForm

# What can be missing from a returned form (keys are stored; labels are for screens and mail).
MISSING_LABELS = {
    "identity": _l("本人確認書類"),
    "mynumber": _l("マイナンバー確認書類"),
    "signature": _l("署名"),
    "other": _l("押印・その他"),
}
STATE_LABELS = {
    OnestopState.COMPLETE: _l("受理"),
    OnestopState.INCOMPLETE: _l("不備あり"),
}


def donation_year(donation: Donation) -> int:
    """The tax year of the donation: the year the city received the money."""
    return (donation.received_on or donation.applied_on).year


@lru_cache(maxsize=64)
def deadline(year: int) -> date:
    """10 January of the following year, or the next business day after a weekend/holiday.
    Kept per year: building the year's holiday calendar took ~160 µs, on every status page of
    a donor whose one-stop form came back (the 変更届出書 link) and every one-stop check."""
    jp = holidays.Japan(years=[year + 1])
    d = date(year + 1, 1, 10)
    while d.weekday() >= 5 or d in jp:
        d += timedelta(days=1)
    return d


def find_donation(session: Session, code: str) -> Donation:
    """The donation a scanned QR code (or a typed donation number) names."""
    text = unicodedata.normalize("NFKC", code or "").strip().upper()
    # A scanner types the QR content; some add a prefix or surrounding spaces.
    text = text.removeprefix("寄附番号").strip()
    donation = (
        session.scalar(sa.select(Donation).where(Donation.donation_no == text)) if text else None
    )
    if donation is None:
        raise NotFound(_l("その寄附番号の寄附は見つかりません。"), field="code")
    return donation


def return_for(session: Session, donation: Donation) -> OnestopReturn | None:
    return session.scalar(sa.select(OnestopReturn).where(OnestopReturn.donation_id == donation.id))


def register_return(
    session: Session,
    donation: Donation,
    *,
    received_on: date,
    missing: list[str],
    note: str = "",
    by_user: User | None,
) -> tuple[OnestopReturn, bool]:
    """Record the form (or the missing copy sent after it); returns (row, state changed)."""
    unknown = [m for m in missing if m not in MISSING_LABELS]
    if unknown:
        raise DomainError(_l("不備の項目が正しくありません。"), field="missing")
    if donation.state == DonationState.CANCELLED:
        raise DomainError(_l("取り消された寄附です。申請書は返送してください。"), field="code")
    if received_on > today_jst():
        raise DomainError(_l("受付日に未来の日付は指定できません。"), field="received_on")
    if received_on < donation.applied_on:
        raise DomainError(_l("受付日が寄附日より前になっています。"), field="received_on")
    missing = [m for m in MISSING_LABELS if m in missing]  # canonical order, no duplicates
    state = OnestopState.INCOMPLETE if missing else OnestopState.COMPLETE
    late = received_on > deadline(donation_year(donation))
    row = return_for(session, donation)
    if row is None:
        row = OnestopReturn(
            donation_id=donation.id,
            received_on=received_on,
            last_received_on=received_on,
            state=state,
            missing=missing,
            late=late,
        )
        session.add(row)
    else:
        if (
            row.state == state
            and list(row.missing) == missing
            and row.last_received_on == received_on
        ):
            return row, False  # the same entry twice
        if received_on < row.received_on:
            raise DomainError(
                _l("最初の受付日（%(d)s）より前の日付です。", d=row.received_on.isoformat()),
                field="received_on",
            )
        row.last_received_on = received_on
        row.state = state
        row.missing = missing
        # Late is about the form: a missing copy sent after the deadline makes it late too.
        row.late = row.late or late
    row.note = (note or "").strip()[:300]
    row.recorded_by_id = by_user.id if by_user is not None else None
    session.flush()
    record_event(
        session,
        "donation",
        donation.id,
        ReceiptEvent.ONESTOP_RECEIVED,
        by_user=by_user,
        public=True,
        received_on=received_on.isoformat(),
        complete=state == OnestopState.COMPLETE,
        missing=missing,
        late=row.late,
    )
    return row, True


def change_form_offered(
    session: Session, donation: Donation, *, received: bool | None = None
) -> bool:
    """The 変更届出書 is for donations whose one-stop form was received, until its deadline.
    `received`: whether it was, when the caller already knows (the status page's SELECT)."""
    if received is None:
        received = return_for(session, donation) is not None
    if donation.state == DonationState.CANCELLED or not received:
        return False
    return today_jst() <= deadline(donation_year(donation))


def change_form_for(donation: Donation) -> ChangeForm:
    """The 変更届出書 pre-filled from the donation: its current name and address (変更後)."""
    from portal.documents.onestop_change import ChangeForm

    return ChangeForm(
        donation_number=donation.donation_no,
        donor_name=donation.donor_name,
        donor_kana=donation.donor_kana,
        postal_code=donation.postal_code,
        address=donation.address,
        phone=donation.phone,
        amount=donation.amount,
        received_on=donation.received_on or donation.applied_on,
    )


def register_change(
    session: Session, donation: Donation, *, received_on: date, by_user: User | None
) -> OnestopReturn:
    """Record a returned 変更届出書 on the donation's one-stop record."""
    row = return_for(session, donation)
    if row is None:
        raise DomainError(
            _l("この寄附の申告特例申請書がまだ登録されていません。先に申請書を登録してください。"),
            field="received_on",
        )
    if received_on > today_jst():
        raise DomainError(_l("受付日に未来の日付は指定できません。"), field="received_on")
    if received_on < row.received_on:
        raise DomainError(
            _l("申請書の受付日（%(d)s）より前の日付です。", d=row.received_on.isoformat()),
            field="received_on",
        )
    late = received_on > deadline(donation_year(donation))
    row.change_received_on = received_on
    row.change_count = (row.change_count or 0) + 1
    row.change_late = bool(row.change_late) or late
    row.recorded_by_id = by_user.id if by_user is not None else None
    session.flush()
    record_event(
        session,
        "donation",
        donation.id,
        ReceiptEvent.ONESTOP_CHANGE_RECEIVED,
        by_user=by_user,
        public=True,
        received_on=received_on.isoformat(),
        late=late,
    )
    return row


def incomplete_returns(session: Session) -> list[OnestopReturn]:
    """Forms to chase: incomplete, oldest first."""
    return list(
        session.scalars(
            sa.select(OnestopReturn)
            .where(OnestopReturn.state == OnestopState.INCOMPLETE)
            .order_by(OnestopReturn.received_on, OnestopReturn.id)
        )
    )


def notify_donor(row: OnestopReturn) -> EmailMessage | None:
    """Mail the donor the form's state (Japanese: donors get Japanese mail)."""
    donation = row.donation
    if not donation.email:
        return None
    with force_locale("ja"):
        missing = [str(MISSING_LABELS[m]) for m in row.missing]
        body = render_template(
            "mail/onestop_state.txt",
            donation=donation,
            row=row,
            missing=missing,
            complete=row.state == OnestopState.COMPLETE,
            deadline=deadline(donation_year(donation)),
        )
        if row.state == OnestopState.COMPLETE:
            subject = _("【ふるさと納税】ワンストップ特例申請書を受理しました")
        else:
            subject = _("【ふるさと納税】ワンストップ特例申請書に不備がありました")
    return send_mail(donation.email, subject, body)
