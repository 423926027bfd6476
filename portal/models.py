"""Imports every domain's models so metadata (and Alembic's autogenerate) sees all tables.

Each domain adds its own line here when it adds a models module.
"""

from portal.accounts.models import Invitation, Supplier, User  # noqa: F401
from portal.core.audit import AuditEntry  # noqa: F401
from portal.core.numbering import Counter  # noqa: F401
from portal.core.timeline import TimelineEvent  # noqa: F401
from portal.gifts.models import Gift, GiftImage, RequiredAmountChange  # noqa: F401
