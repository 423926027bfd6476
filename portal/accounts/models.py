from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.core.roles import Role
from portal.core.secrets_at_rest import EncryptedText
from portal.extensions import Model


class SupplierStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class ShippingPayer(enum.StrEnum):
    """Who pays the carrier for a supplier's parcels [6(8)ウ(イ)]: the supplier (and the
    operator reimburses it with the gift cost), or the operator directly (the carrier is paid
    in the monthly payment run and the supplier only for the gifts)."""

    SUPPLIER = "supplier"
    OPERATOR = "operator"


class Supplier(TimestampMixin, Model):
    """返礼品提供事業者: a company (often one person) that ships gifts."""

    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_kana: Mapped[str] = mapped_column(sa.String(200), default="")
    representative: Mapped[str] = mapped_column(sa.String(100), default="")  # 代表者
    postal_code: Mapped[str] = mapped_column(sa.String(8), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    # Bank account for payments (振込先).
    bank_name: Mapped[str] = mapped_column(sa.String(100), default="")
    bank_branch: Mapped[str] = mapped_column(sa.String(100), default="")
    bank_account_type: Mapped[str] = mapped_column(sa.String(10), default="普通")
    bank_account_number: Mapped[str] = mapped_column(sa.String(10), default="")
    bank_account_holder: Mapped[str] = mapped_column(sa.String(100), default="")
    # 全銀 codes (checked against zengin-code when entered) and the 名義 in half-width kana,
    # as the transfer file carries it.
    bank_code: Mapped[str] = mapped_column(sa.String(4), default="")
    branch_code: Mapped[str] = mapped_column(sa.String(3), default="")
    bank_account_holder_kana: Mapped[str] = mapped_column(sa.String(30), default="")
    shipping_paid_by: Mapped[ShippingPayer] = mapped_column(
        enum_column(ShippingPayer), default=ShippingPayer.SUPPLIER
    )
    status: Mapped[SupplierStatus] = mapped_column(
        enum_column(SupplierStatus), default=SupplierStatus.ACTIVE
    )

    users: Mapped[list[User]] = relationship(back_populates="supplier")

    def __repr__(self) -> str:
        return f"<Supplier {self.code}>"


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role))
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supplier.id"), index=True)
    # Empty until the invited person sets a password.
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change so every other session ends (Flask-Login alternative id).
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]
    # Staff second factor (portal.accounts.totp): the base32 secret once enrolled, and the
    # last accepted time step so no code works twice.
    # Encrypted at rest (DATA_ENCRYPTION_KEY); the attribute is the base32 secret.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText())
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    supplier: Mapped[Supplier | None] = relationship(back_populates="users")

    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'supplier') = (supplier_id IS NOT NULL)", name="supplier_role_has_company"
        ),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: a password change invalidates old cookies
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class InvitationKind(enum.StrEnum):
    PASSWORD = "password"  # a new account sets its password (and staff enrol TOTP next)
    TOTP = "totp"  # an admin's enrolment link after a TOTP reset (lost phone)


class Invitation(TimestampMixin, Model):
    """A single-use link to set a password, valid for 72 hours. Only the token's hash is kept.
    A TOTP enrolment link (kind "totp") lets a user whose authenticator was reset enrol again:
    the password alone never enrols a second factor."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[InvitationKind] = mapped_column(
        enum_column(InvitationKind), default=InvitationKind.PASSWORD
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class UserSession(Model):
    """A signed-in browser, checked on every request (portal.accounts.sessions). The cookie
    carries a random id; only its SHA-256 is stored, so a copy of this table opens nothing."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")

    user: Mapped[User] = relationship()


class RecoveryCode(Model):
    """One of ten single-use codes that stand in for the authenticator (shown once, hashed)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class PasswordReset(Model):
    """A password-reset link sent by mail: single use, 30 minutes, only the token's hash kept."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


register_label("user", by_id(User, "アカウント", lambda u: f"{u.id}（{u.role.value}）"))


register_label("supplier", by_id(Supplier, "事業者", lambda s: s.code))
