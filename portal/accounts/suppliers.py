"""Use cases for supplier companies and their users."""

from __future__ import annotations

from dataclasses import dataclass, fields

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts import accounts
from portal.accounts.models import Supplier, SupplierStatus, User
from portal.core.errors import DomainError, PermissionDenied
from portal.core.roles import Role, can_manage_suppliers


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
    status: SupplierStatus = SupplierStatus.ACTIVE


def save_supplier(
    session: Session, data: SupplierData, *, by_user: User, supplier: Supplier | None = None
) -> Supplier:
    if not can_manage_suppliers(by_user):
        raise PermissionDenied(_l("事業者を登録・編集する権限がありません。"))
    clash = session.scalar(sa.select(Supplier.id).where(Supplier.code == data.code))
    if clash is not None and (supplier is None or clash != supplier.id):
        raise DomainError(_l("この事業者コードは既に使われています。"), field="code")
    if supplier is None:
        supplier = Supplier(code=data.code, name=data.name)
        session.add(supplier)
    for f in fields(SupplierData):
        setattr(supplier, f.name, getattr(data, f.name))
    session.flush()
    return supplier


def invite_supplier_user(
    session: Session, supplier: Supplier, email: str, name: str, *, by_user: User, hours: int = 72
) -> tuple[User, str]:
    """Create a supplier user without a password and return (user, invitation token)."""
    if not can_manage_suppliers(by_user):
        raise PermissionDenied(_l("事業者のユーザーを作成する権限がありません。"))
    user = accounts.create_user(session, email, Role.SUPPLIER, name=name, supplier=supplier)
    token = accounts.invite(session, user, by_user=by_user, hours=hours)
    return user, token
