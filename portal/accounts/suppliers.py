"""Use cases for supplier companies and their users."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts import accounts
from portal.accounts.models import ShippingPayer, Supplier, SupplierStatus, User
from portal.core.errors import DomainError, PermissionDenied
from portal.core.roles import Role, can_manage_suppliers
from portal.payments import zengin


@dataclass
class SupplierData:
    code: str
    name: str
    name_kana: str = ""
    representative: str = ""
    postal_code: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    bank_name: str = ""
    bank_branch: str = ""
    bank_account_type: str = "普通"
    bank_account_number: str = ""
    bank_account_holder: str = ""
    bank_code: str = ""
    branch_code: str = ""
    shipping_paid_by: ShippingPayer = ShippingPayer.SUPPLIER
    status: SupplierStatus = SupplierStatus.ACTIVE


def save_supplier(
    session: Session, data: SupplierData, *, by_user: User, supplier: Supplier | None = None
) -> Supplier:
    if not can_manage_suppliers(by_user):
        raise PermissionDenied(_l("事業者を登録・編集する権限がありません。"))
    clash = session.scalar(sa.select(Supplier.id).where(Supplier.code == data.code))
    if clash is not None and (supplier is None or clash != supplier.id):
        raise DomainError(_l("この事業者コードは既に使われています。"), field="code")
    if supplier is not None and not (data.bank_code or data.branch_code):
        # an account entered before the codes were asked keeps its names
        data = replace(data, bank_name=supplier.bank_name, bank_branch=supplier.bank_branch)
    data = _checked_bank_account(data)
    if supplier is None:
        supplier = Supplier(code=data.code, name=data.name)
        session.add(supplier)
    for f in fields(SupplierData):
        setattr(supplier, f.name, getattr(data, f.name))
    supplier.bank_account_holder_kana = (
        zengin.to_zengin_kana(data.bank_account_holder) if data.bank_account_holder else ""
    )
    session.flush()
    return supplier


def _checked_bank_account(data: SupplierData) -> SupplierData:
    """The 全銀 codes are checked against Japan's bank list, and the bank and branch names
    are taken from it (the transfer file and the advice show those); the 名義 must be
    writable in half-width kana. An account without codes is allowed (not paid yet)."""
    if data.bank_account_holder and len(zengin.to_zengin_kana(data.bank_account_holder)) > 30:
        raise DomainError(
            _l("口座名義は半角カナで30文字までです（濁点も1文字）。"), field="bank_account_holder"
        )
    if not (data.bank_code or data.branch_code):
        if data.bank_account_number:
            raise DomainError(
                _l("金融機関コードと支店コードを入力してください。"), field="bank_code"
            )
        return data
    found = zengin.lookup(data.bank_code, data.branch_code)
    if data.bank_account_number and not data.bank_account_holder:
        raise DomainError(_l("口座名義を入力してください。"), field="bank_account_holder")
    return replace(
        data,
        bank_code=found.bank_code,
        branch_code=found.branch_code,
        bank_name=found.bank_name,
        bank_branch=found.branch_name,
    )


def invite_supplier_user(
    session: Session, supplier: Supplier, email: str, name: str, *, by_user: User, hours: int = 72
) -> tuple[User, str]:
    """Create a supplier user without a password and return (user, invitation token)."""
    if not can_manage_suppliers(by_user):
        raise PermissionDenied(_l("事業者のユーザーを作成する権限がありません。"))
    user = accounts.create_user(session, email, Role.SUPPLIER, name=name, supplier=supplier)
    token = accounts.invite(session, user, by_user=by_user, hours=hours)
    return user, token
